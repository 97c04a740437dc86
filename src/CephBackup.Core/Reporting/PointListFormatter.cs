using System.Globalization;
using System.Text;
using System.Text.Json;
using CephBackup.Core.Catalog;

namespace CephBackup.Core.Reporting;

/// <summary>
/// The output of <c>cephbackup list</c>: an aligned table (the PHP bklist columns plus IMAGE and STATUS)
/// or a JSON array for scripts.
/// </summary>
public static class PointListFormatter
{
    public static readonly string[] Columns = ["DATE", "TYPE", "RESTPOINT", "SIZE", "BACKUP-JOB", "VM", "IMAGE", "STATUS", "CONSISTENCY", "VERIFIED", "SNAPSHOT"];

    /// <summary>
    /// DATE is when the point's backup started (its snapshot was taken right after), in <paramref name="zone"/>
    /// with the offset; SIZE is the stored file in IEC units, as rbd prints sizes (exact bytes in --json); VERIFIED is when verify last
    /// passed it (local day and time) or "-"; SNAPSHOT is "yes"/"gone" for its source snapshot on Ceph, "?" when unknown.
    /// </summary>
    public static string Table(string? vm, IReadOnlyList<BackupPoint> points, TimeZoneInfo zone, IReadOnlyDictionary<long, bool?>? snapshots = null)
    {
        var rows = new List<string[]> { Columns };
        rows.AddRange(points.Select(p => new[]
        {
            ReportFormatter.Time(AsUtc(p.StartedAt), zone), TypeLabel(p.Type), p.RestorePoint,
            IecSize.Format(p.SizeBytes), p.JobName, p.Vm, p.Image, p.Status, p.Consistency ?? "-",
            p.VerifiedAt is { } v ? TimeZoneInfo.ConvertTime(AsUtc(v), zone).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture) : "-",
            SnapshotCell(snapshots, p),
        }));
        var widths = Enumerable.Range(0, Columns.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in rows)
            sb.AppendLine(string.Join("  ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c]))));
        if (points.Count == 0) sb.AppendLine(vm is null ? "(no restore points)" : $"(no restore points of VM {vm})");
        return sb.ToString();
    }

    private static string SnapshotCell(IReadOnlyDictionary<long, bool?>? snapshots, BackupPoint p) =>
        snapshots is not null && snapshots.TryGetValue(p.Id, out var e) && e is { } exists ? (exists ? "yes" : "gone") : "?";

    public static string TypeLabel(PointType t) => t switch
    {
        PointType.Full => "FULL",
        PointType.Incremental => "INC",
        _ => "DIFF",
    };

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = true,
        // Output is for terminals and scripts, never embedded in HTML: keep names like "ssd+1" readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// One array of objects with exactly: job, vm, image, restorePoint, type, time (UTC), sizeBytes, sha256, status,
    /// consistency (null = unknown), verifiedAt (UTC or null), snapshotExists (null when Ceph could not be asked).
    /// </summary>
    public static string Json(IReadOnlyList<BackupPoint> points, IReadOnlyDictionary<long, bool?>? snapshots = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, JsonOptions))
        {
            w.WriteStartArray();
            foreach (var p in points)
            {
                w.WriteStartObject();
                w.WriteString("job", p.JobName);
                w.WriteString("vm", p.Vm);
                w.WriteString("image", p.Image);
                w.WriteString("restorePoint", p.RestorePoint);
                w.WriteString("type", p.Type.ToDb());
                w.WriteString("time", JsonObjectWriter.UtcText(p.StartedAt));
                w.WriteNumber("sizeBytes", p.SizeBytes);
                if (p.Sha256 is null) w.WriteNull("sha256"); else w.WriteString("sha256", p.Sha256);
                w.WriteString("status", p.Status);
                if (p.Consistency is null) w.WriteNull("consistency"); else w.WriteString("consistency", p.Consistency);
                if (p.VerifiedAt is { } v) w.WriteString("verifiedAt", JsonObjectWriter.UtcText(v));
                else w.WriteNull("verifiedAt");
                if (snapshots is not null && snapshots.TryGetValue(p.Id, out var e) && e is { } exists) w.WriteBoolean("snapshotExists", exists);
                else w.WriteNull("snapshotExists");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    // The catalog hands out UTC (DateTimeKind=Utc); an Unspecified value is UTC by that same contract.
    private static DateTimeOffset AsUtc(DateTime d) =>
        new(d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : DateTime.SpecifyKind(d, DateTimeKind.Utc));
}
