using CephBackup.Core;
using CephBackup.IntegrationTests.Catalog;
using CephBackup.IntegrationTests.Infrastructure;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Cli;

/// <summary>The real verbs through the real CLI host, config file and all.</summary>
public class CliEndToEndTests : BedTest
{
    [Fact]
    public async Task Migrate_is_idempotent_and_exec_backs_up_through_the_cli()
    {
        var cli = new CliRun(_bed.Root, _bed.Db.ConnectionString, _bed.Smtp.Port);
        var first = await cli.RunAsync("db", "migrate");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("schema is current", first.Stdout); // BackupBed migrated already
        var job = await _bed.AddJobAsync("CLI1", maxInc: 3, path: Path.Combine(_bed.Root, "target"));
        var img = await _bed.AddImageAsync(job, "vmcli");

        var dry = await cli.RunAsync("exec", "--dry-run");
        Assert.Equal(0, dry.ExitCode);
        Assert.Contains($"vmcli/{img}: FULL 000001-000000", dry.Stdout);

        var run = await cli.RunAsync("exec");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(Path.Combine(_bed.Root, "target", "CLI1", "vmcli", img, "000001", "000000")));
        Assert.Contains("SUCCESS", cli.AllLogs());
        Assert.Contains("FULL 000001-000000", cli.AllLogs());

        Assert.Equal((int)ExitCode.InvalidInput, (await cli.RunAsync("exec", "--job", "NOPE")).ExitCode);
    }

    [Fact]
    public async Task A_finished_command_leaves_no_connection_to_the_catalog_open()
    {
        // In production the process ends after one command, but the host also runs in-process (these tests
        // run hundreds of commands in one process): an undisposed catalog kept its pooled connections for
        // minutes, and a long test run reached the server's max_connections ("Too many connections").
        var cli = new CliRun(_bed.Root, _bed.Db.ConnectionString, _bed.Smtp.Port);
        MySqlConnection.ClearAllPools();
        var before = await OpenConnectionsAsync();
        for (var i = 0; i < 4; i++) Assert.Equal(0, (await cli.RunAsync("list", "--json")).ExitCode);
        // The driver's shared pools are the driver's business; what must be gone is what the command built.
        MySqlConnection.ClearAllPools();
        Assert.Equal(before, await OpenConnectionsAsync());
    }

    private async Task<long> OpenConnectionsAsync() => Convert.ToInt64(await DbProbe.ScalarAsync(_bed.Db,
        $"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{_bed.Db.Name}' AND ID <> CONNECTION_ID()"));

    [Fact]
    public async Task An_unmigrated_or_unreachable_database_is_one_line_exit_13_and_touches_nothing()
    {
        await using var empty = await TestDatabase.CreateAsync();
        var cli = new CliRun(_bed.Root, empty.ConnectionString, _bed.Smtp.Port);
        var r = await cli.RunAsync("exec");
        Assert.Equal((int)ExitCode.DatabaseError, r.ExitCode);
        Assert.Contains("db migrate", r.Stderr);

        var secret = "DbS3cret-" + TestEnv.Unique();
        var down = new CliRun(_bed.Root, CliRun.WithPassword(empty.ConnectionString, secret).Replace("Port=3307", "Port=1"), _bed.Smtp.Port);
        var d = await down.RunAsync("exec");
        Assert.Equal((int)ExitCode.DatabaseError, d.ExitCode);
        Assert.Single(d.Stderr.Trim().Split('\n'));
        var mails = await _bed.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        Assert.All(mails, m => Assert.Equal("[FAIL] CEPH Backup (ALL jobs): catalog database unavailable", m.Message.Subject));
        var mail = mails[1].Message;
        Assert.DoesNotContain(secret, mail.ToString());
        Assert.DoesNotContain(secret, d.Stderr + d.Stdout + down.AllLogs());
        Assert.DoesNotContain(Directory.EnumerateDirectories(_bed.Root, "*", SearchOption.AllDirectories), p => !p.Contains("logs"));
    }

    [Fact]
    public async Task Wrong_db_and_smtp_passwords_never_show_up_anywhere()
    {
        var dbSecret = "DbS3cret-" + TestEnv.Unique();
        var mailSecret = "MailS3cret-" + TestEnv.Unique();
        var bad = new CliRun(_bed.Root, CliRun.WithPassword(_bed.Db.ConnectionString, dbSecret), _bed.Smtp.Port, mailSecret);
        var r = await bad.RunAsync("exec", "--dry-run");
        Assert.Equal((int)ExitCode.DatabaseError, r.ExitCode);
        Assert.DoesNotContain(dbSecret, r.Stderr + r.Stdout + bad.AllLogs());

        var job = await _bed.AddJobAsync("SEC", maxInc: 3);
        await _bed.AddImageAsync(job, "vmsec");
        await using var authSmtp = await TestSmtpServer.StartAsync("mailuser", mailSecret);
        var good = new CliRun(_bed.Root, _bed.Db.ConnectionString, authSmtp.Port, mailSecret);
        var ok = await good.RunAsync("exec");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        var mails = await authSmtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("mailuser", mails[0].AuthenticatedUser);
        var everything = ok.Stdout + ok.Stderr + good.AllLogs() + string.Concat(mails.Select(m => m.Message.ToString()));
        Assert.DoesNotContain(mailSecret, everything);
        Assert.DoesNotContain("rbdbackup-pw", everything);
    }

    [Fact]
    public async Task Every_failing_run_leaves_a_line_in_the_log_file_even_before_its_configuration_is_valid()
    {
        var cli = new CliRun(_bed.Root, _bed.Db.ConnectionString, _bed.Smtp.Port);
        // A typo in the file: the config never becomes valid, yet its Serilog file sink still gets the line.
        var text = await File.ReadAllTextAsync(cli.ConfigPath);
        await File.WriteAllTextAsync(cli.ConfigPath, text.Replace("\"Ceph\":{", "\"Ceph\":{\"Pol\":\"x\","));
        var bad = await cli.RunAsync("exec");
        Assert.Equal((int)ExitCode.ConfigError, bad.ExitCode);
        Assert.Contains("unknown configuration key 'Ceph:Pol'", cli.AllLogs());

        var fresh = new CliRun(Directory.CreateDirectory(Path.Combine(_bed.Root, "db-down")).FullName,
            "Server=127.0.0.1;Port=" + TestSmtpServer.FreePort() + ";Database=x;User ID=u;Password=p", _bed.Smtp.Port);
        var down = await fresh.RunAsync("exec");
        Assert.Equal((int)ExitCode.DatabaseError, down.ExitCode);
        Assert.Contains("exit 13", fresh.AllLogs());
    }

    [Fact]
    public async Task Verbs_that_read_the_catalog_refuse_an_unmigrated_database_with_one_line()
    {
        await using var empty = await TestDatabase.CreateAsync();
        var cli = new CliRun(_bed.Root, empty.ConnectionString, _bed.Smtp.Port);
        foreach (var args in new[] { new[] { "retention" }, ["trimsnap"], ["list", "somevm"], ["catalog", "import"] })
        {
            var r = await cli.RunAsync(args);
            Assert.Equal((int)ExitCode.DatabaseError, r.ExitCode);
            Assert.Contains("run 'cephbackup db migrate'", r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'));
        }
    }
}
