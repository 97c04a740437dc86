using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CephBackup.Commands.Status;
using CephBackup.Core;
using CephBackup.Core.Reporting;
using CephBackup.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace CephBackup.IntegrationTests.Ops;

/// <summary><c>status</c> over a real backup with a moved clock, and the Prometheus textfile after exec, verify and retention.</summary>
public class StatusMetricsTests : BedTest
{
    private async Task<(int Code, string Out)> StatusAsync(DateTimeOffset now, StatusArgs args)
    {
        var time = new FakeTimeProvider(now);
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        await using var app = BedApp.Create(_bed, time);
        var stdout = new StringWriter();
        var code = await StatusRunner.RunAsync(args, () => app, stdout, CancellationToken.None);
        return (code, stdout.ToString());
    }

    [Fact]
    public async Task Status_goes_ok_warning_critical_with_the_clock_and_disabled_jobs_are_never_overdue()
    {
        var job = await _bed.AddJobAsync("daily", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "web01");
        var idle = await _bed.AddJobAsync("idle", maxInc: 3, prefix: "IDLE");
        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET enabled = 0 WHERE idbackup_jobs = {idle}");
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var done = DateTimeOffset.UtcNow;

        var (ok, text) = await StatusAsync(done.AddHours(1), new StatusArgs());
        Assert.Equal(0, ok);
        Assert.StartsWith("CEPHBACKUP OK - 2 job(s), 1 image(s), 0 overdue, 0 failed", text);
        Assert.Contains("job idle: DISABLED", text);
        Assert.Contains("000001-000000", text);

        var (warn, warnText) = await StatusAsync(done.AddHours(27), new StatusArgs { Job = "daily" });
        Assert.Equal(1, warn);
        Assert.StartsWith("CEPHBACKUP WARNING - 1 job(s), 1 image(s), 1 overdue", warnText);
        Assert.Contains($"daily/web01/{img}: last success 2", warnText.Split('\n')[0]);

        var (crit, json) = await StatusAsync(done.AddHours(51), new StatusArgs { Json = true });
        Assert.Equal(2, crit);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal(("CRITICAL", 2), (root.GetProperty("state").GetString(), root.GetProperty("exitCode").GetInt32()));
        var daily = root.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("job").GetString() == "daily");
        var image = Assert.Single(daily.GetProperty("images").EnumerateArray());
        Assert.True(image.GetProperty("overdue").GetBoolean());
        Assert.Equal("000001-000000", image.GetProperty("lastSuccess").GetProperty("restorePoint").GetString());
        Assert.Equal("full", image.GetProperty("lastSuccess").GetProperty("type").GetString());
        Assert.Equal(1, image.GetProperty("chainPoints").GetInt32());
        var points = await _bed.Catalog.GetPointsAsync(job, null, null, CancellationToken.None);
        Assert.Equal(points.Sum(p => p.SizeBytes), image.GetProperty("storedBytes").GetInt64());
        Assert.True(daily.GetProperty("lastRunOk").GetBoolean());
        var idleJson = root.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("job").GetString() == "idle");
        Assert.Equal(("OK", false), (idleJson.GetProperty("state").GetString(), idleJson.GetProperty("enabled").GetBoolean()));

        // Overrides: with --warn-hours 100 the 27 h old success is fine again.
        Assert.Equal(0, (await StatusAsync(done.AddHours(27), new StatusArgs { WarnHours = 100, CritHours = 200 })).Code);

        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET enabled = 0 WHERE idbackup_jobs = {job}");
        Assert.Equal(0, (await StatusAsync(done.AddDays(30), new StatusArgs())).Code);

        var (unknown, unknownText) = await StatusAsync(done, new StatusArgs { Job = "nope" });
        Assert.Equal(3, unknown);
        Assert.StartsWith("CEPHBACKUP UNKNOWN - unknown job 'nope'", unknownText);
    }

    [Fact]
    public async Task Status_failures_are_unknown_through_the_cli_too()
    {
        var cli = OpsBed.Cli(_bed);
        File.WriteAllText(cli.ConfigPath, "{ \"Databse\": {} }");
        var r = await cli.RunAsync("status");
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("CEPHBACKUP UNKNOWN - config: unknown configuration section 'Databse'", r.Stdout);
        var j = await cli.RunAsync("status", "--json");
        Assert.Equal(3, j.ExitCode);
        Assert.Equal("UNKNOWN", JsonDocument.Parse(j.Stdout).RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Exec_verify_and_retention_write_a_valid_textfile_from_the_catalog()
    {
        var metrics = Directory.CreateDirectory(Path.Combine(_bed.Root, "textfile")).FullName;
        var cli = OpsBed.Cli(_bed, metrics);
        var target = Path.Combine(_bed.Root, "target");
        var img = await OpsBed.ImageAsync(_bed);
        Assert.Equal(0, (await cli.RunAsync("vm", "add", "vm1", img)).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("job", "add", "M", "--path", target, "--max-inc", "2")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("job", "attach", "M", "vm1")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("job", "add", "Other", "--path", target, "--disabled")).ExitCode);

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var exec = await cli.RunAsync("exec");
        Assert.True(exec.ExitCode == 0, exec.Stderr + cli.AllLogs());
        await BackupBed.ChangeAsync(img, 16L << 20);
        Assert.Equal(0, (await cli.RunAsync("exec")).ExitCode);
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var file = Path.Combine(metrics, MetricsTextfile.FileName);
        var m = Parse(await PromtoolCheckedAsync(file));
        var l = $"{{job=\"M\",vm=\"vm1\",image=\"{img}\"}}";
        Assert.InRange(m["cephbackup_last_success_timestamp_seconds" + l], before, after + 1);
        Assert.InRange(m["cephbackup_last_run_timestamp_seconds{job=\"M\"}"], before, after + 1);
        Assert.Equal(1, m["cephbackup_last_run_success{job=\"M\"}"]);
        Assert.Equal(2, m["cephbackup_chain_points" + l]);
        Assert.Equal(0, m["cephbackup_overdue" + l]);
        Assert.Equal(0, m["cephbackup_job_enabled{job=\"Other\"}"]);
        Assert.Equal(0, m["cephbackup_stored_bytes{job=\"Other\"}"]);
        var points = await _bed.Catalog.GetPointsAsync(null, null, img, CancellationToken.None);
        Assert.Equal(points.Sum(p => p.SizeBytes), m["cephbackup_stored_bytes{job=\"M\"}"]);
        Assert.Equal(points.Single(p => p.Point == 0).SizeBytes, m[$"cephbackup_point_size_bytes{{job=\"M\",vm=\"vm1\",image=\"{img}\",type=\"full\"}}"]);
        Assert.Equal(points.Single(p => p.Point == 1).SizeBytes, m[$"cephbackup_point_size_bytes{{job=\"M\",vm=\"vm1\",image=\"{img}\",type=\"incremental\"}}"]);
        Assert.True(m["cephbackup_backup_duration_seconds" + l] > 0);
        Assert.DoesNotContain(m.Keys, k => k.StartsWith("cephbackup_verify_last_success_timestamp_seconds"));
        Assert.Equal([MetricsTextfile.FileName], Directory.GetFiles(metrics).Select(Path.GetFileName));

        Assert.Equal(0, (await cli.RunAsync("verify")).ExitCode);
        m = Parse(await PromtoolCheckedAsync(file));
        Assert.InRange(m["cephbackup_verify_last_success_timestamp_seconds" + l], before, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);

        File.Delete(file);
        Assert.Equal(0, (await cli.RunAsync("retention")).ExitCode);
        Assert.True(File.Exists(file));
        Assert.Empty(Directory.GetFiles(metrics, ".*"));

        // A metrics problem never fails the backup; it is an error line in the log.
        Directory.Delete(metrics, true);
        await BackupBed.ChangeAsync(img, 16L << 20);
        Assert.Equal(0, (await cli.RunAsync("exec")).ExitCode);
        Assert.Contains("not written", cli.AllLogs());
    }

    /// <summary>The file passes <c>promtool check metrics</c> (Prometheus' own linter).</summary>
    private static async Task<string> PromtoolCheckedAsync(string file)
    {
        var text = await File.ReadAllTextAsync(file);
        var psi = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(text);
        p.StandardInput.Close();
        var err = await p.StandardError.ReadToEndAsync();
        var o = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"promtool: {o}{err}\n{text}");
        Assert.Equal("", (o + err).Trim());
        return text;
    }

    /// <summary>Sample lines "name{labels} value" → value (HELP/TYPE comments skipped).</summary>
    private static Dictionary<string, double> Parse(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => (Key: l[..l.LastIndexOf(' ')], Value: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
            .ToDictionary(x => x.Key, x => x.Value);
}
