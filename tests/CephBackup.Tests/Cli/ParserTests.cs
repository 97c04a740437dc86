using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Commands.Exec;
using CephBackup.Core;

namespace CephBackup.Tests.Cli;

public class ParserTests
{
    private static Task<ExecArgs?> ParseExec(params string[] args) => ParserHarness.Parse<ExecArgs>(ExecCommand.Create, args);

    [Fact]
    public async Task Exec_options_are_captured()
    {
        var a = await ParseExec("exec", "--job", "J1", "--date", "2027-01-10", "--dry-run", "--config", "/x.json");
        Assert.Equal(new ExecArgs { Job = "J1", Date = new DateOnly(2027, 1, 10), DryRun = true, ConfigPath = "/x.json" }, a);
        Assert.Equal(new ExecArgs(), await ParseExec("exec"));
        Assert.Equal(new ExecArgs { Job = "J1", Worker = true }, await ParseExec("exec", "--worker", "--job", "J1"));
    }

    [Fact]
    public async Task Bad_date_is_a_parse_error() => Assert.Null(await ParseExec("exec", "--date", "10/01/2027"));

    [Fact]
    public async Task Unknown_verb_is_a_usage_error_in_one_place()
    {
        var err = new StringWriter();
        Assert.Equal((int)ExitCode.Usage, await new CliHost(new StringWriter(), err).RunAsync(["bogus"]));
        Assert.Contains("error:", err.ToString());
    }
}
