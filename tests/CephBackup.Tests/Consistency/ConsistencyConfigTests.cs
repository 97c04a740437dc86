using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Consistency;

namespace CephBackup.Tests.Consistency;

[Collection("environment")]
public class ConsistencyConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbcfg-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private AppConfig Load(string sections)
    {
        var p = Path.Combine(_dir, "c.json");
        File.WriteAllText(p, $$"""{ "Database": { "ConnectionString": "Server=h;Password=S3cret-pw" } {{sections}} }""");
        return AppConfigLoader.Load(p);
    }

    [Fact]
    public void Without_sections_nothing_runs_and_the_defaults_are_documented_ones()
    {
        var c = Load("").Consistency;
        Assert.False(c.AnythingToRun);
        Assert.Empty(c.Hooks.PreSnapshot);
        Assert.Equal(TimeSpan.FromSeconds(60), c.Hooks.Timeout);
        Assert.Equal(HookFailurePolicy.Continue, c.Hooks.OnFailure);
        Assert.False(c.Libvirt.Enabled);
        Assert.Equal("qemu:///system", c.Libvirt.Uri);
        Assert.Equal("virsh", c.Libvirt.VirshPath);
        Assert.True(c.Libvirt.Freeze);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var c = Load("""
            , "Hooks": { "PreSnapshot": ["/usr/local/sbin/pre", "--vm", "{vm}", "", "{job}:{point}"], "PostSnapshot": ["/bin/true"],
                         "TimeoutSeconds": 5, "OnFailure": "skip-vm" },
              "Libvirt": { "Enabled": true, "Uri": "qemu+ssh://kvm1/system", "VirshPath": "/usr/bin/virsh", "Freeze": false }
            """).Consistency;
        Assert.Equal(["/usr/local/sbin/pre", "--vm", "{vm}", "", "{job}:{point}"], c.Hooks.PreSnapshot);
        Assert.Equal(["/bin/true"], c.Hooks.PostSnapshot);
        Assert.Equal(TimeSpan.FromSeconds(5), c.Hooks.Timeout);
        Assert.Equal(HookFailurePolicy.SkipVm, c.Hooks.OnFailure);
        Assert.Equal(new LibvirtOptions { Enabled = true, Uri = "qemu+ssh://kvm1/system", VirshPath = "/usr/bin/virsh", Freeze = false }, c.Libvirt);
        Assert.True(c.AnythingToRun);
    }

    [Theory]
    [InlineData("\"Hooks\": { \"PreSnapshot\": \"/usr/local/sbin/pre {vm}\" }", "Hooks:PreSnapshot must be a JSON array")]
    [InlineData("\"Hooks\": { \"PostSnapshot\": [\"\", \"x\"] }", "Hooks:PostSnapshot: the first element")]
    [InlineData("\"Hooks\": { \"PreSnapshot\": [\"/x\", {\"a\": 1}] }", "Hooks:PreSnapshot must be an array of strings")]
    [InlineData("\"Hooks\": { \"PreSnapshot\": [\"/x\", \"{vmname}\"] }", "unknown placeholder {vmname}")]
    [InlineData("\"Hooks\": { \"TimeoutSeconds\": 0 }", "Hooks:TimeoutSeconds")]
    [InlineData("\"Hooks\": { \"OnFailure\": \"abort\" }", "Hooks:OnFailure: 'abort' is not continue or skip-vm")]
    [InlineData("\"Hooks\": { \"Pre\": [\"/x\"] }", "unknown configuration key 'Hooks:Pre'")]
    [InlineData("\"Libvirt\": { \"Enabled\": \"yes\" }", "Libvirt:Enabled")]
    [InlineData("\"Libvirt\": { \"Url\": \"x\" }", "unknown configuration key 'Libvirt:Url'")]
    public void Mistakes_are_one_line_config_errors(string section, string expected)
    {
        var e = Assert.Throws<CephBackupException>(() => Load(", " + section));
        Assert.Equal(ExitCode.ConfigError, e.Code);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
