using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Commands.Restore;
using CephBackup.Commands.Verify;
using CephBackup.Core;

namespace CephBackup.Tests.Cli;

public class RestoreVerifyParserTests
{
    private static Task<RestoreArgs?> Restore(params string[] args) => ParserHarness.Parse<RestoreArgs>(RestoreCommand.Create, ["restore", .. args]);
    private static Task<VerifyArgs?> Verify(params string[] args) => ParserHarness.Parse<VerifyArgs>(VerifyCommand.Create, ["verify", .. args]);

    [Fact]
    public async Task Restore_takes_the_php_argument_order_and_every_option()
    {
        var a = await Restore("J1", "rbd/web01-disk", "000001-000002", "web01-restored", "--pool", "restore", "--dry-run",
            "--keep-snapshots", "--force-unverified", "--json", "--config", "/c.json");
        Assert.Equal(new RestoreArgs
        {
            Job = "J1", Image = "rbd/web01-disk", RestorePoint = "000001-000002", NewName = "web01-restored", Pool = "restore",
            DryRun = true, KeepSnapshots = true, ForceUnverified = true, Json = true, ConfigPath = "/c.json",
        }, a);
        Assert.Equal(new RestoreArgs { Job = "J", Image = "i", RestorePoint = "000001-000000", NewName = "n" },
            await Restore("J", "i", "000001-000000", "n"));
    }

    [Fact]
    public async Task From_dir_makes_the_positionals_restpoint_and_new_name()
    {
        var a = await Restore("--from-dir", "/backup/J1/web01/img/000001", "000001-000003", "new-img");
        Assert.Equal(new RestoreArgs { FromDir = "/backup/J1/web01/img/000001", RestorePoint = "000001-000003", NewName = "new-img" }, a);
        // Options may come after the positionals too.
        Assert.Equal("/d", (await Restore("000001-000003", "new-img", "--from-dir", "/d", "--pool", "p"))!.FromDir);
    }

    [Theory]
    [InlineData("J1", "img", "000001-000000")]
    [InlineData("J1", "img", "000001-000000", "new", "extra")]
    [InlineData("--from-dir", "/d", "J1", "img", "000001-000000", "new")]
    [InlineData("--from-dir", "/d", "new")]
    [InlineData()]
    public async Task Wrong_number_of_positionals_is_a_parse_error(params string[] args) => Assert.Null(await Restore(args));

    [Fact]
    public async Task Restore_usage_errors_exit_with_usage_and_name_the_form()
    {
        var err = new StringWriter();
        Assert.Equal((int)ExitCode.Usage, await new CliHost(new StringWriter(), err).RunAsync(["restore", "J1", "000001-000000", "new"]));
        Assert.Contains("JOB IMAGE RESTPOINT NEW-NAME", err.ToString());
    }

    [Fact]
    public async Task Verify_filters_and_deep_are_captured()
    {
        Assert.Equal(new VerifyArgs { Job = "J1", Vm = "web01", Image = "rbd/x", Since = new DateOnly(2026, 11, 1), Deep = true },
            await Verify("--job", "J1", "--vm", "web01", "--image", "rbd/x", "--since", "2026-11-01", "--deep"));
        Assert.Equal(new VerifyArgs(), await Verify());
        Assert.Equal(new VerifyArgs { Json = true, Deep = true }, await Verify("--deep", "--json"));
    }

    [Theory]
    [InlineData("--since", "01/11/2026")]
    [InlineData("--since", "yesterday")]
    [InlineData("stray")]
    public async Task Verify_rejects_bad_input(params string[] args) => Assert.Null(await Verify(args));
}
