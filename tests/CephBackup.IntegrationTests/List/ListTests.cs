using System.Globalization;
using System.Text.Json;
using CephBackup.Cli;
using CephBackup.Commands.ListVerb;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Reporting;
using CephBackup.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace CephBackup.IntegrationTests.List;

public class ListTests : BedTest
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.CreateCustomTimeZone("T+5:30", new TimeSpan(5, 30, 0), "T+5:30", "T+5:30");

    private async Task<string> ListAsync(ListArgs args)
    {
        var time = new FakeTimeProvider();
        time.SetLocalTimeZone(Zone);
        await using var app = BedApp.Create(_bed, time);
        var stdout = new StringWriter();
        Assert.Equal((int)ExitCode.Ok, await ListRunner.RunAsync(args, app, stdout, CancellationToken.None));
        return stdout.ToString();
    }

    private async Task<(ExitCode, string)> ListFailsAsync(ListArgs args)
    {
        await using var app = BedApp.Create(_bed);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ListRunner.RunAsync(args, app, new StringWriter(), CancellationToken.None));
        return CliHost.Map(e);
    }

    private async Task<List<JsonElement>> JsonAsync(ListArgs args) =>
        JsonDocument.Parse(await ListAsync(args with { Json = true })).RootElement.EnumerateArray().ToList();

    [Fact]
    public async Task Every_disk_of_the_vm_with_incremental_and_differential_jobs_in_table_and_json()
    {
        var ji = await _bed.AddJobAsync("JI", maxInc: 5);
        var jd = await _bed.AddJobAsync("JD", maxInc: 5, mode: "differential", prefix: "DF");
        var a = await _bed.AddImageAsync(ji, "vm2");
        var b = await _bed.AddImageAsync(ji, "vm2");
        await _bed.LinkAsync(jd, "vm2", a);
        await _bed.LinkAsync(jd, "vm2", b);
        for (var run = 0; run < 3; run++)
        {
            if (run > 0) { await BackupBed.ChangeAsync(a); await BackupBed.ChangeAsync(b); }
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        }
        var catalog = await _bed.Catalog.GetPointsAsync(null, "vm2", null, CancellationToken.None);
        Assert.Equal(12, catalog.Count);
        var expected = catalog.OrderBy(p => p.Image, StringComparer.Ordinal).ThenBy(p => p.StartedAt).ToList();

        var lines = (await ListAsync(new ListArgs { Vm = "vm2" })).TrimEnd('\n').Split('\n');
        Assert.Equal(PointListFormatter.Columns, lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(13, lines.Length);
        for (var i = 0; i < 12; i++)
        {
            var p = expected[i];
            var local = TimeZoneInfo.ConvertTime(new DateTimeOffset(p.StartedAt), Zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
            Assert.Equal([local, PointListFormatter.TypeLabel(p.Type), p.RestorePoint, IecSize.Format(new FileInfo(p.FilePath).Length), p.JobName, "vm2", p.Image, "ok", "crash", "-", "yes"],
                SplitRow(lines[i + 1]));
            Assert.EndsWith("+05:30", local);
        }
        var types = expected.Where(p => p.Image == a).GroupBy(p => p.JobName).ToDictionary(g => g.Key, g => g.Select(p => $"{PointListFormatter.TypeLabel(p.Type)} {p.RestorePoint}"));
        Assert.Equal(["FULL 000001-000000", "INC 000001-000001", "INC 000001-000002"], types["JI"]);
        Assert.Equal(["FULL 000001-000000", "DIFF 000001-000001", "DIFF 000001-000002"], types["JD"]);

        var json = await JsonAsync(new ListArgs { Vm = "vm2" });
        Assert.Equal(12, json.Count);
        for (var i = 0; i < 12; i++)
        {
            var (p, o) = (expected[i], json[i]);
            Assert.Equal(["job", "vm", "image", "restorePoint", "type", "time", "sizeBytes", "sha256", "status", "consistency", "verifiedAt", "snapshotExists"], o.EnumerateObject().Select(x => x.Name));
            Assert.True(o.GetProperty("snapshotExists").GetBoolean());
            Assert.Equal(p.JobName, o.GetProperty("job").GetString());
            Assert.Equal("vm2", o.GetProperty("vm").GetString());
            Assert.Equal(p.Image, o.GetProperty("image").GetString());
            Assert.Equal(p.RestorePoint, o.GetProperty("restorePoint").GetString());
            Assert.Equal(p.Type.ToDb(), o.GetProperty("type").GetString());
            Assert.Equal(p.StartedAt, DateTime.Parse(o.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
            Assert.EndsWith("Z", o.GetProperty("time").GetString());
            Assert.Equal(new FileInfo(p.FilePath).Length, o.GetProperty("sizeBytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p.FilePath))), o.GetProperty("sha256").GetString());
            Assert.Equal("ok", o.GetProperty("status").GetString());
            Assert.Equal("crash", o.GetProperty("consistency").GetString());
        }
        Assert.Equal(["full", "differential", "differential"], json.Where(o => o.GetProperty("job").GetString() == "JD" && o.GetProperty("image").GetString() == b).Select(o => o.GetProperty("type").GetString()));

        Assert.All(await JsonAsync(new ListArgs { Vm = "vm2", Job = "JD" }), o => Assert.Equal("JD", o.GetProperty("job").GetString()));
        Assert.Equal(6, (await JsonAsync(new ListArgs { Vm = "vm2", Job = "JD" })).Count);
        Assert.Equal(6, (await JsonAsync(new ListArgs { Vm = "vm2", Image = b })).Count);
        var both = await JsonAsync(new ListArgs { Vm = "vm2", Job = "JI", Image = b });
        Assert.Equal(["000001-000000", "000001-000001", "000001-000002"], both.Select(o => o.GetProperty("restorePoint").GetString()));

        var doomed = catalog.Single(p => p.JobName == "JI" && p.Image == b && p.Point == 2);
        await _bed.Catalog.SetPointStatusAsync([doomed.Id], PointStatus.Deleting, CancellationToken.None);
        both = await JsonAsync(new ListArgs { Vm = "vm2", Job = "JI", Image = b });
        Assert.Equal(["000001-000000", "000001-000001"], both.Select(o => o.GetProperty("restorePoint").GetString()));
        Assert.Equal(11, (await JsonAsync(new ListArgs { Vm = "vm2" })).Count);
        Assert.DoesNotContain("000001-000002  ", (await ListAsync(new ListArgs { Vm = "vm2", Job = "JI", Image = b })));
    }

    // Columns are separated by at least two spaces; DATE and SIZE contain single ones.
    private static string[] SplitRow(string row) => System.Text.RegularExpressions.Regex.Split(row, " {2,}");

    [Fact]
    public async Task Unknown_vm_job_or_image_is_invalid_input_in_one_line_and_a_vm_without_points_gets_a_note()
    {
        var job = await _bed.AddJobAsync("JU", maxInc: 5);
        await _bed.LinkAsync(job, "idle01", "cbt-never-backed-up");

        var (code, message) = await ListFailsAsync(new ListArgs { Vm = "nosuchvm" });
        Assert.Equal(ExitCode.InvalidInput, code);
        Assert.StartsWith("unknown VM 'nosuchvm'", message);
        Assert.DoesNotContain('\n', message);
        Assert.Equal(ExitCode.InvalidInput, (await ListFailsAsync(new ListArgs { Vm = "idle01", Job = "NOJOB" })).Item1);
        Assert.Equal(ExitCode.InvalidInput, (await ListFailsAsync(new ListArgs { Vm = "idle01", Image = "other" })).Item1);

        var text = await ListAsync(new ListArgs { Vm = "idle01" });
        Assert.Equal(["DATE  TYPE  RESTPOINT  SIZE  BACKUP-JOB  VM  IMAGE  STATUS  CONSISTENCY  VERIFIED  SNAPSHOT", "(no restore points of VM idle01)"], text.TrimEnd('\n').Split('\n'));
        Assert.Equal("[]", (await ListAsync(new ListArgs { Vm = "idle01", Job = "JU", Json = true })).Trim());
    }

    [Fact]
    public async Task Without_a_vm_every_vm_is_listed_with_verified_at_and_whether_the_snapshot_still_exists()
    {
        var j1 = await _bed.AddJobAsync("LA", maxInc: 5);
        var j2 = await _bed.AddJobAsync("LB", maxInc: 5, prefix: "LBP");
        var a = await _bed.AddImageAsync(j1, "vmA");
        var b = await _bed.AddImageAsync(j2, "vmB");
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var pa = (await _bed.Catalog.GetPointsAsync(null, null, a, CancellationToken.None)).Single();
        var verified = new DateTime(2026, 11, 28, 10, 0, 0, DateTimeKind.Utc);
        await _bed.Catalog.SetVerifiedAsync(pa.Id, verified, CancellationToken.None);
        await TestRbd.RunAsync("snap", "rm", "--no-progress", $"{TestEnv.Pool}/{b}@LBP-000001-000000");

        var all = await JsonAsync(new ListArgs());
        Assert.Equal(["vmA", "vmB"], all.Select(o => o.GetProperty("vm").GetString()));
        Assert.Equal("2026-11-28T10:00:00.000Z", all[0].GetProperty("verifiedAt").GetString());
        Assert.True(all[0].GetProperty("snapshotExists").GetBoolean());
        Assert.Equal(JsonValueKind.Null, all[1].GetProperty("verifiedAt").ValueKind);
        Assert.False(all[1].GetProperty("snapshotExists").GetBoolean());

        Assert.Equal(["vmB"], (await JsonAsync(new ListArgs { Job = "LB" })).Select(o => o.GetProperty("vm").GetString()));
        var rows = (await ListAsync(new ListArgs())).TrimEnd('\n').Split('\n').Skip(1).Select(SplitRow).ToList();
        Assert.Equal(["vmA", "vmB"], rows.Select(r => r[5]));
        Assert.Equal(["crash", "crash"], rows.Select(r => r[8]));
        Assert.Equal(["2026-11-28T15:30", "-"], rows.Select(r => r[9]));
        Assert.Equal(["yes", "gone"], rows.Select(r => r[10]));
        Assert.Equal(ExitCode.InvalidInput, (await ListFailsAsync(new ListArgs { Job = "NOJOB" })).Item1);
    }
}
