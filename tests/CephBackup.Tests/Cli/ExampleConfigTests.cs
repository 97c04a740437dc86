using CephBackup.Cli;

namespace CephBackup.Tests.Cli;

[Collection("environment")]
public class ExampleConfigTests
{
    [Fact]
    public void The_shipped_example_config_is_valid()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "CephBackup.sln"))) dir = Path.GetDirectoryName(dir)!;
        var text = File.ReadAllText(Path.Combine(dir, "config", "cephbackup.example.json"));
        // ConfFile must exist to load; point it at a file that does.
        var tmp = Path.GetTempFileName();
        File.WriteAllText(tmp, text.Replace("/etc/ceph/ceph.conf", tmp));
        try
        {
            var c = AppConfigLoader.Load(tmp);
            Assert.Equal("rbdpool01", c.Ceph.Pool);
            Assert.True(c.Mail.Enabled);
            Assert.Equal("/var/lib/prometheus/node-exporter", c.MetricsTextfileDir);
        }
        finally { File.Delete(tmp); }
    }
}
