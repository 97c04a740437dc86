using System.CommandLine;
using System.Text.RegularExpressions;
using CephBackup.Cli;
using CephBackup.Commands.RestoreVm;
using CephBackup.Core;

namespace CephBackup.Tests.Cli;

/// <summary>Issue #11.5: one exit-code table; README, --help and the enum cannot drift apart.</summary>
public class ExitCodeTableTests
{
    private static string Readme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CephBackup.sln"))) return File.ReadAllText(Path.Combine(dir.FullName, "README.md"));
        throw new InvalidOperationException("README.md not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_readme_table_lists_exactly_the_enum_with_the_same_text()
    {
        var readme = Readme();
        var section = readme[readme.IndexOf("## Exit codes", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        var rows = Regex.Matches(section, @"^\| ([0-9]+) \| (.+) \|$", RegexOptions.Multiline)
            .ToDictionary(m => int.Parse(m.Groups[1].Value), m => m.Groups[2].Value);
        Assert.Equal(Enum.GetValues<ExitCode>().Select(c => (int)c).Order(), rows.Keys.Order());
        foreach (var c in Enum.GetValues<ExitCode>()) Assert.Equal(ExitCodes.Text[c], rows[(int)c]);
    }

    [Fact]
    public void The_root_help_lists_every_code()
    {
        var root = new CliHost(new StringWriter(), new StringWriter()).BuildRoot();
        foreach (var c in Enum.GetValues<ExitCode>()) Assert.Contains($"{(int)c} {ExitCodes.Text[c]}", root.Description);
    }

    [Theory]
    [InlineData("restore", new[] { 5, 6, 13, 14, 15, 16, 130 })]
    [InlineData("restore-vm", new[] { 5, 6, 13, 14, 15, 16, 130 })]
    [InlineData("verify", new[] { 5, 6, 13, 14, 16, 130 })]
    [InlineData("list", new[] { 5, 13 })]
    public void Each_restore_verb_help_lists_the_codes_it_can_return(string verb, int[] codes)
    {
        var root = new CliHost(new StringWriter(), new StringWriter()).BuildRoot();
        var cmd = root.Subcommands.Single(c => c.Name == verb);
        var help = new StringWriter();
        root.Parse([verb, "--help"]).Invoke(new InvocationConfiguration { Output = help });
        foreach (var c in codes.Concat([0, 2]))
            Assert.Contains($"{c} {ExitCodes.Text[(ExitCode)c]}", help.ToString());
        Assert.NotNull(cmd);
    }

    [Fact]
    public async Task Restore_vm_parses_its_arguments_and_requires_a_suffix()
    {
        var a = await ParserHarness.Parse<RestoreVmArgs>(RestoreVmCommand.Create, "restore-vm", "J", "vm1", "000001-000002", "--suffix", "-r", "--json", "--pool", "p");
        Assert.Equal(("J", "vm1", "000001-000002", "-r", "p", true), (a!.Job, a.Vm, a.RestorePoint, a.Suffix, a.Pool, a.Json));
        Assert.Null(await ParserHarness.Parse<RestoreVmArgs>(RestoreVmCommand.Create, "restore-vm", "J", "vm1", "000001-000002"));
    }
}
