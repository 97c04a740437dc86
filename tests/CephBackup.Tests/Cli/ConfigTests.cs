using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Reporting;

namespace CephBackup.Tests.Cli;

[Collection("environment")]
public class ConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbcfg-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string json)
    {
        var p = Path.Combine(_dir, "c.json");
        File.WriteAllText(p, json);
        return p;
    }

    private const string Valid = """
        { "Database": { "ConnectionString": "Server=127.0.0.1;Port=3307;Database=d;User ID=u;Password=S3cret-pw" },
          "Ceph": { "Pool": "rbd", "TimeoutSeconds": 20 },
          "Mail": { "Enabled": true, "Host": "smtp.example", "Port": 587, "Security": "StartTls", "From": "b@x", "To": ["a@x", "c@x"], "Password": "S3cret-mail" } }
        """;

    [Fact]
    public void A_valid_file_loads_with_defaults()
    {
        var c = AppConfigLoader.Load(Write(Valid));
        Assert.Equal(20, c.Ceph.TimeoutSeconds);
        Assert.Equal("rbd", c.Ceph.RbdPath);
        Assert.Equal(["a@x", "c@x"], c.Mail.To);
        Assert.Equal(MailSecurity.StartTls, c.Mail.Security);
        Assert.Equal(120, c.LeaseSeconds);
    }

    [Theory]
    [InlineData("30", 30)]
    [InlineData("6", 6)]
    public void Catalog_lease_seconds_is_read(string value, int expected)
    {
        var json = Valid.TrimEnd().TrimEnd('}') + $$""", "Catalog": { "LeaseSeconds": {{value}} } }""";
        Assert.Equal(expected, AppConfigLoader.Load(Write(json)).LeaseSeconds);
    }

    [Theory]
    [InlineData("5")]    // renewal every < 2 s: a slow answer would expire a living holder
    [InlineData("0")]
    [InlineData("\"2m\"")]
    public void Catalog_lease_seconds_out_of_range_is_a_config_error(string value)
    {
        var json = Valid.TrimEnd().TrimEnd('}') + $$""", "Catalog": { "LeaseSeconds": {{value}} } }""";
        Assert.Contains("Catalog:LeaseSeconds", Assert.Throws<CephBackupException>(() => AppConfigLoader.Load(Write(json))).Message);
    }

    [Theory]
    [InlineData("\"Ceph\": { \"TimeoutSecs\": 20 }", "Ceph:TimeoutSecs")]
    [InlineData("\"Cehp\": { }", "Cehp")]
    [InlineData("\"Ceph\": { \"TimeoutSeconds\": \"abc\" }", "Ceph:TimeoutSeconds")]
    [InlineData("\"Mail\": { \"Security\": \"Tls\" }", "Mail:Security")]
    [InlineData("\"Mail\": { \"Enabled\": \"yes\" }", "Mail:Enabled")]
    [InlineData("\"Mail\": { \"Enabled\": true, \"Host\": \"h\", \"From\": \"f@x\" }", "Mail:To")]
    public void Mistakes_name_the_key_in_one_line(string fragment, string key)
    {
        var json = $$"""{ "Database": { "ConnectionString": "Server=h;Password=S3cret-pw" }, {{fragment}} }""";
        var e = Assert.Throws<CephBackupException>(() => AppConfigLoader.Load(Write(json)));
        Assert.Equal(ExitCode.ConfigError, e.Code);
        Assert.Contains(key, e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.DoesNotContain("S3cret", e.Message);
    }

    [Fact]
    public void Missing_file_missing_key_and_broken_json_are_config_errors()
    {
        Assert.Contains("not found", Assert.Throws<CephBackupException>(() => AppConfigLoader.Load(Path.Combine(_dir, "none.json"))).Message);
        Assert.Contains("Database:ConnectionString", Assert.Throws<CephBackupException>(() => AppConfigLoader.Load(Write("{}"))).Message);
        var broken = Assert.Throws<CephBackupException>(() => AppConfigLoader.Load(Write("{ \"Database\": ")));
        Assert.Equal(ExitCode.ConfigError, broken.Code);
    }

    [Fact]
    public void Bad_connection_string_does_not_echo_the_secret()
    {
        var e = Assert.Throws<CephBackupException>(() => AppConfigLoader.Load(Write("""{ "Database": { "ConnectionString": "Serverr=h;Password=S3cret-pw" } }""")));
        Assert.DoesNotContain("S3cret", e.Message);
    }

    [Fact]
    public void Environment_overrides_apply_and_only_known_sections_are_checked()
    {
        Environment.SetEnvironmentVariable("CEPHBACKUP_Ceph__TimeoutSeconds", "33");
        Environment.SetEnvironmentVariable("CEPHBACKUP_TEST_SOMETHING", "x");
        try
        {
            Assert.Equal(33, AppConfigLoader.Load(Write(Valid)).Ceph.TimeoutSeconds);
            Environment.SetEnvironmentVariable("CEPHBACKUP_Ceph__TimeoutSecs", "33");
            Assert.Contains("Ceph:TimeoutSecs", Assert.Throws<CephBackupException>(() => AppConfigLoader.Load(Write(Valid))).Message);
        }
        finally
        {
            foreach (var v in new[] { "CEPHBACKUP_Ceph__TimeoutSeconds", "CEPHBACKUP_TEST_SOMETHING", "CEPHBACKUP_Ceph__TimeoutSecs" })
                Environment.SetEnvironmentVariable(v, null);
        }
    }

    [Fact]
    public void Random_and_truncated_config_files_give_a_config_error_never_a_crash()
    {
        var rnd = new Random(3);
        for (var i = 0; i < 300; i++)
        {
            var text = i % 2 == 0 ? Valid[..rnd.Next(Valid.Length)] : Mutate(rnd, Valid);
            try { AppConfigLoader.Load(Write(text)); }
            catch (CephBackupException e) { Assert.Equal(ExitCode.ConfigError, e.Code); }
        }
    }

    private static string Mutate(Random rnd, string s)
    {
        var chars = s.ToCharArray();
        for (var k = 0; k < 3; k++) chars[rnd.Next(chars.Length)] = "{}[]\":,0a\n"[rnd.Next(10)];
        return new string(chars);
    }

    [Fact]
    public void Path_resolution_prefers_option_then_environment_then_default()
    {
        Assert.Equal("/a.json", AppConfigLoader.ResolvePath("/a.json", _ => "/env.json"));
        Assert.Equal("/env.json", AppConfigLoader.ResolvePath(null, _ => "/env.json"));
        Assert.Equal(AppConfigLoader.DefaultPath, AppConfigLoader.ResolvePath(null, _ => null));
    }

    [Fact]
    public async Task Cli_prints_one_line_and_exits_with_config_error()
    {
        var err = new StringWriter();
        var code = await new CliHost(new StringWriter(), err).RunAsync(["db", "migrate", "--config", Path.Combine(_dir, "nope.json")]);
        Assert.Equal((int)ExitCode.ConfigError, code);
        Assert.Single(err.ToString().Trim().Split('\n'));
        Assert.StartsWith("error: config:", err.ToString());
    }
}
