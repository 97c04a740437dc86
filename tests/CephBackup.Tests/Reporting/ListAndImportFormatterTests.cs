using System.Text.Json;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Tests.Reporting;

public class ListAndImportFormatterTests
{
    private static readonly TimeZoneInfo Plus2 = TimeZoneInfo.CreateCustomTimeZone("T+2", TimeSpan.FromHours(2), "T+2", "T+2");

    private static BackupPoint P(string image, int chain, int point, PointType type, long size, string? sha, string status, DateTime started) => new()
    {
        JobName = "J1", Vm = "web01", Image = image, Chain = chain, Point = point, Type = type, Snapshot = "s", FilePath = "/f",
        SizeBytes = size, Sha256 = sha, Status = status, StartedAt = started,
    };

    private static readonly BackupPoint[] Points =
    [
        P("disk-a", 1, 0, PointType.Full, 5_242_880, new string('a', 64), "ok", new DateTime(2026, 11, 26, 1, 2, 3, 456, DateTimeKind.Utc))
            with { Id = 1, VerifiedAt = new DateTime(2026, 11, 28, 10, 0, 0, DateTimeKind.Utc), Consistency = "fs-frozen" },
        P("ssd+b", 1, 3, PointType.Differential, 512, null, "unverified", new DateTime(2026, 12, 31, 23, 0, 0, DateTimeKind.Utc)) with { Id = 2 },
    ];

    private static readonly Dictionary<long, bool?> Snapshots = new() { [1] = true, [2] = false };

    [Fact]
    public void Table_has_the_bklist_columns_plus_image_and_status_aligned_in_local_time()
    {
        var lines = PointListFormatter.Table("web01", Points, Plus2, Snapshots).TrimEnd('\n').Split('\n');
        Assert.Equal([
            "DATE                        TYPE  RESTPOINT      SIZE   BACKUP-JOB  VM     IMAGE   STATUS      CONSISTENCY  VERIFIED          SNAPSHOT",
            "2026-11-26 03:02:03 +02:00  FULL  000001-000000  5 MiB  J1          web01  disk-a  ok          fs-frozen    2026-11-28T12:00  yes",
            "2027-01-01 01:00:00 +02:00  DIFF  000001-000003  512 B  J1          web01  ssd+b   unverified  -            -                 gone",
        ], lines);
    }

    [Fact]
    public void An_empty_list_prints_the_header_and_a_note()
    {
        var text = PointListFormatter.Table("web01", [], Plus2);
        Assert.Equal("DATE  TYPE  RESTPOINT  SIZE  BACKUP-JOB  VM  IMAGE  STATUS  CONSISTENCY  VERIFIED  SNAPSHOT\n(no restore points of VM web01)\n", text);
        Assert.Equal("[]", PointListFormatter.Json([]).Trim());
    }

    [Fact]
    public void Json_has_exactly_the_documented_fields_with_utc_times()
    {
        using var doc = JsonDocument.Parse(PointListFormatter.Json(Points, Snapshots));
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal(["job", "vm", "image", "restorePoint", "type", "time", "sizeBytes", "sha256", "status", "consistency", "verifiedAt", "snapshotExists"],
            items[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("2026-11-28T10:00:00.000Z", items[0].GetProperty("verifiedAt").GetString());
        Assert.True(items[0].GetProperty("snapshotExists").GetBoolean());
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("verifiedAt").ValueKind);
        Assert.False(items[1].GetProperty("snapshotExists").GetBoolean());
        Assert.Equal("J1", items[0].GetProperty("job").GetString());
        Assert.Equal("web01", items[0].GetProperty("vm").GetString());
        Assert.Equal("000001-000000", items[0].GetProperty("restorePoint").GetString());
        Assert.Equal("full", items[0].GetProperty("type").GetString());
        Assert.Equal("2026-11-26T01:02:03.456Z", items[0].GetProperty("time").GetString());
        Assert.Equal(5_242_880, items[0].GetProperty("sizeBytes").GetInt64());
        Assert.Equal(new string('a', 64), items[0].GetProperty("sha256").GetString());
        Assert.Equal("differential", items[1].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("sha256").ValueKind);
        Assert.Equal("unverified", items[1].GetProperty("status").GetString());
        Assert.Equal("fs-frozen", items[0].GetProperty("consistency").GetString());
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("consistency").ValueKind);
        Assert.Contains("\"ssd+b\"", PointListFormatter.Json(Points));
    }

    [Fact]
    public void Import_report_has_a_line_per_image_its_reasons_and_a_total()
    {
        var o = new ImportOutcome(
        [
            new ImageImportResult { Job = "J", Vm = "vm", Image = "a", Imported = 2, AlreadyKnown = 1, Skipped = [new("000001-000003", "no end record")] },
            new ImageImportResult { Job = "J", Vm = "vm", Image = "b", Errors = ["permission denied"] },
        ], [new JobImportProblem("K", "job is running (host h pid 1): not scanned")]);
        Assert.Equal([
            "job K: job is running (host h pid 1): not scanned",
            "J vm/a: imported 2, already known 1, skipped 1",
            "  skipped 000001-000003: no end record",
            "J vm/b: imported 0, already known 0, skipped 0, unreadable 1",
            "  error: permission denied",
            "total: 2 image(s), imported 2, already known 1, skipped 1, unreadable 1, jobs not scanned 1",
        ], ImportReportFormatter.Lines(o));
        Assert.Equal(Core.ExitCode.PartialFailure, o.ExitCode);
        Assert.Equal(Core.ExitCode.Ok, new ImportOutcome([o.Images[0]], []).ExitCode);
    }
}
