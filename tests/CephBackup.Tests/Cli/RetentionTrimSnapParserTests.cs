using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Commands.Retention;
using CephBackup.Commands.TrimSnap;

namespace CephBackup.Tests.Cli;

public class RetentionTrimSnapParserTests
{
    [Fact]
    public async Task Retention_options_are_captured()
    {
        Assert.Equal(new RetentionArgs { Job = "J1", DryRun = true, AlwaysReport = true, ConfigPath = "/c.json" },
            await ParserHarness.Parse<RetentionArgs>(RetentionCommand.Create, "retention", "--job", "J1", "--dry-run", "--always-report", "--config", "/c.json"));
        Assert.Equal(new RetentionArgs(), await ParserHarness.Parse<RetentionArgs>(RetentionCommand.Create, "retention"));
    }

    [Fact]
    public async Task Retention_rejects_unknown_options_and_arguments()
    {
        Assert.Null(await ParserHarness.Parse<RetentionArgs>(RetentionCommand.Create, "retention", "--keep", "3"));
        Assert.Null(await ParserHarness.Parse<RetentionArgs>(RetentionCommand.Create, "retention", "J1"));
        Assert.Null(await ParserHarness.Parse<RetentionArgs>(RetentionCommand.Create, "retention", "--job"));
    }

    [Fact]
    public async Task TrimSnap_options_are_captured()
    {
        Assert.Equal(new TrimSnapArgs { Job = "BK", DryRun = true },
            await ParserHarness.Parse<TrimSnapArgs>(TrimSnapCommand.Create, "trimsnap", "--dry-run", "--job", "BK"));
        Assert.Equal(new TrimSnapArgs(), await ParserHarness.Parse<TrimSnapArgs>(TrimSnapCommand.Create, "trimsnap"));
        Assert.Null(await ParserHarness.Parse<TrimSnapArgs>(TrimSnapCommand.Create, "trimsnap", "--max-snaps", "2"));
    }

    [Fact]
    public async Task Json_is_captured_with_and_without_dry_run()
    {
        Assert.Equal(new RetentionArgs { Json = true }, await ParserHarness.Parse<RetentionArgs>(RetentionCommand.Create, "retention", "--json"));
        Assert.Equal(new RetentionArgs { Json = true, DryRun = true, Job = "J1" },
            await ParserHarness.Parse<RetentionArgs>(RetentionCommand.Create, "retention", "--dry-run", "--json", "--job", "J1"));
        Assert.Equal(new TrimSnapArgs { Json = true }, await ParserHarness.Parse<TrimSnapArgs>(TrimSnapCommand.Create, "trimsnap", "--json"));
        Assert.Equal(new TrimSnapArgs { Json = true, DryRun = true },
            await ParserHarness.Parse<TrimSnapArgs>(TrimSnapCommand.Create, "trimsnap", "--json", "--dry-run"));
        Assert.Null(await ParserHarness.Parse<TrimSnapArgs>(TrimSnapCommand.Create, "trimsnap", "--json", "yes"));
    }

    [Fact]
    public void Both_verbs_are_registered_in_the_host()
    {
        var names = new CliHost(new StringWriter(), new StringWriter()).BuildRoot().Subcommands.Select(c => c.Name).ToList();
        Assert.Contains("retention", names);
        Assert.Contains("trimsnap", names);
    }
}
