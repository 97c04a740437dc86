using CephBackup.Cli;
using CephBackup.Commands.Job;
using CephBackup.Commands.Status;
using CephBackup.Commands.Vm;
using CephBackup.Core.Jobs;

namespace CephBackup.Tests.Cli;

public class OpsParserTests
{
    [Fact]
    public async Task Job_add_takes_every_setting()
    {
        var a = await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "add", "J1", "--path", "/b", "--max-inc", "6", "--retention", "3",
            "--mode", "differential", "--snap-prefix", "BK", "--max-snaps", "4", "--mountpoint", "/b", "--days", "1,2", "--weeks", "1",
            "--parallel", "2", "--disabled", "--config", "/c.json");
        Assert.Equal(new JobArgs
        {
            ConfigPath = "/c.json", Action = JobAction.Add, Name = "J1",
            Options = new JobOptions
            {
                Path = "/b", MaxInc = 6, Retention = 3, Mode = "differential", SnapPrefix = "BK", MaxSnaps = 4, MountPoint = "/b",
                Days = "1,2", Weeks = "1", Parallel = 2, Disabled = true,
            },
        }, a);
    }

    [Fact]
    public async Task Job_set_leaves_what_is_not_given_null_and_an_empty_mountpoint_is_kept()
    {
        var a = await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "set", "J1", "--mountpoint", "");
        Assert.Equal(new JobOptions { MountPoint = "" }, a!.Options);
        Assert.Equal((JobAction.Set, "J1"), (a.Action, a.Name));
    }

    [Theory]
    [InlineData(JobAction.List, null, null, "job", "list")]
    [InlineData(JobAction.Show, "J", null, "job", "show", "J")]
    [InlineData(JobAction.Enable, "J", null, "job", "enable", "J")]
    [InlineData(JobAction.Disable, "J", null, "job", "disable", "J")]
    [InlineData(JobAction.Remove, "J", null, "job", "rm", "J")]
    [InlineData(JobAction.Attach, "J", "web01", "job", "attach", "J", "web01")]
    [InlineData(JobAction.Detach, "J", "web01", "job", "detach", "J", "web01")]
    public async Task Job_subverbs(JobAction action, string? name, string? vm, params string[] args)
    {
        var a = await ParserHarness.Parse<JobArgs>(JobCommand.Create, args);
        Assert.Equal((action, name, vm), (a!.Action, a.Name, a.Vm));
    }

    [Fact]
    public async Task Job_flags_and_parse_errors()
    {
        Assert.True((await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "rm", "J", "--force"))!.Force);
        Assert.True((await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "list", "--json"))!.Json);
        Assert.Null(await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "add", "J", "--max-inc", "many"));
        Assert.Null(await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "show"));
        Assert.Null(await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "attach", "J"));
        Assert.Null(await ParserHarness.Parse<JobArgs>(JobCommand.Create, "job", "enable", "J", "--path", "/x"));
    }

    [Fact]
    public async Task Vm_subverbs()
    {
        Assert.Equal(new VmArgs { Action = VmAction.Add, Vm = "web01", Images = ["disk0", "ssd/disk1"], NoCheck = true },
            await ParserHarness.Parse<VmArgs>(VmCommand.Create, "vm", "add", "web01", "disk0", "ssd/disk1", "--no-check"));
        Assert.Equal(new VmArgs { Action = VmAction.Remove, Vm = "web01", Force = true },
            await ParserHarness.Parse<VmArgs>(VmCommand.Create, "vm", "rm", "web01", "--force"));
        Assert.Equal(new VmArgs { Action = VmAction.Remove, Vm = "web01", Images = ["disk0"] },
            await ParserHarness.Parse<VmArgs>(VmCommand.Create, "vm", "rm", "web01", "disk0"));
        Assert.Equal(new VmArgs { Action = VmAction.List, Json = true }, await ParserHarness.Parse<VmArgs>(VmCommand.Create, "vm", "list", "--json"));
        Assert.Null(await ParserHarness.Parse<VmArgs>(VmCommand.Create, "vm", "add", "web01"));
        Assert.Null(await ParserHarness.Parse<VmArgs>(VmCommand.Create, "vm", "rm"));
    }

    [Fact]
    public async Task Status_options()
    {
        Assert.Equal(new StatusArgs { Job = "J", Json = true, WarnHours = 30, CritHours = 48.5 },
            await ParserHarness.Parse<StatusArgs>(StatusCommand.Create, "status", "--job", "J", "--json", "--warn-hours", "30", "--crit-hours", "48.5"));
        Assert.Equal(new StatusArgs(), await ParserHarness.Parse<StatusArgs>(StatusCommand.Create, "status"));
        Assert.Null(await ParserHarness.Parse<StatusArgs>(StatusCommand.Create, "status", "--warn-hours", "-1"));
        Assert.Null(await ParserHarness.Parse<StatusArgs>(StatusCommand.Create, "status", "--crit-hours", "soon"));
    }

    [Fact]
    public void Job_schedule_lists_are_strict()
    {
        Assert.Equal([1, 3, 7], JobAdminService.ParseSet("1,3,7", "--days", 7)!.Order());
        Assert.Empty(JobAdminService.ParseSet("all", "--days", 7)!);
        Assert.Empty(JobAdminService.ParseSet("", "--days", 7)!);
        Assert.Null(JobAdminService.ParseSet(null, "--days", 7));
        foreach (var bad in new[] { "0", "8", "1,,2", "1,1", "١", "1 2", "01", "1;2" })
            Assert.Equal(Core.ExitCode.ConfigError, Assert.Throws<Core.CephBackupException>(() => JobAdminService.ParseSet(bad, "--days", 7)).Code);
        Assert.Throws<Core.CephBackupException>(() => JobAdminService.ParseSet("6", "--weeks", 5));
    }
}
