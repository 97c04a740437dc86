using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Commands.Catalog;
using CephBackup.Commands.ListVerb;

namespace CephBackup.Tests.Cli;

public class ListImportParserTests
{
    [Fact]
    public async Task List_takes_the_vm_and_its_filters()
    {
        Assert.Equal(new ListArgs { Vm = "web01", Job = "J1", Image = "disk-0", Json = true, ConfigPath = "/c.json" },
            await ParserHarness.Parse<ListArgs>(ListCommand.Create, "list", "web01", "--job", "J1", "--image", "disk-0", "--json", "--config", "/c.json"));
        Assert.Equal(new ListArgs { Vm = "web01" }, await ParserHarness.Parse<ListArgs>(ListCommand.Create, "list", "web01"));
    }

    [Fact]
    public async Task List_without_a_vm_lists_every_vm_and_two_vms_are_a_parse_error()
    {
        var all = await ParserHarness.Parse<ListArgs>(ListCommand.Create, "list", "--job", "J");
        Assert.Equal((null, "J"), (all!.Vm, all.Job));
        Assert.Null(await ParserHarness.Parse<ListArgs>(ListCommand.Create, "list", "a", "b"));
        Assert.Null(await ParserHarness.Parse<ListArgs>(ListCommand.Create, "list", "a", "--job"));
    }

    [Fact]
    public async Task Catalog_import_takes_an_optional_job()
    {
        Assert.Equal(new CatalogImportArgs { Job = "J1" }, await ParserHarness.Parse<CatalogImportArgs>(CatalogCommand.Create, "catalog", "import", "--job", "J1"));
        Assert.Equal(new CatalogImportArgs { ConfigPath = "/c.json" }, await ParserHarness.Parse<CatalogImportArgs>(CatalogCommand.Create, "catalog", "import", "--config", "/c.json"));
        Assert.Null(await ParserHarness.Parse<CatalogImportArgs>(CatalogCommand.Create, "catalog", "import", "extra"));
    }

    [Fact]
    public async Task Catalog_without_a_subverb_does_not_run_an_import()
    {
        var err = new StringWriter();
        var code = await new CliHost(new StringWriter(), err).RunAsync(["catalog"]);
        Assert.Equal((int)Core.ExitCode.Usage, code);
        Assert.Contains("error:", err.ToString());
    }
}
