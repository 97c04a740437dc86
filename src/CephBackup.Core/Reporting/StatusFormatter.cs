using System.Text;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Planning;

namespace CephBackup.Core.Reporting;

/// <summary>
/// Output of <c>cephbackup status</c>: the monitoring-plugin summary line first, then one row per image
/// (text) or one object (JSON, docs/JSON.md).
/// </summary>
public static class StatusFormatter
{
    public static string Text(StatusReport r, TimeZoneInfo zone)
    {
        var sb = new StringBuilder(r.Summary).AppendLine();
        foreach (var j in r.Jobs)
        {
            sb.AppendLine();
            var next = j.NextRun is { } n ? n.ToString("yyyy-MM-dd ddd", System.Globalization.CultureInfo.InvariantCulture) : "-";
            sb.AppendLine($"job {j.Job.Name}: {(j.Enabled ? "enabled" : "DISABLED")}, {j.State.ToString().ToUpperInvariant()}, " +
                          $"last run {(j.Job.LastRun is { } lr ? ReportFormatter.Time(Utc(lr), zone) : "never")} " +
                          $"({j.LastRunOk switch { true => "ok", false => "failed", null => "-" }}), next {next}, " +
                          $"stored {IecSize.Format(j.StoredBytes)}");
            if (j.Problem is not null) sb.AppendLine($"  CRITICAL: {j.Problem}");
            if (j.Images.Count == 0) { sb.AppendLine("  (no images)"); continue; }
            var rows = new List<string[]> { new[] { "  VM", "IMAGE", "STATE", "LAST-SUCCESS", "TYPE", "RESTPOINT", "AGE", "LAST-RUN", "VERIFIED", "CHAIN", "STORED", "DETAIL" } };
            rows.AddRange(j.Images.Select(i => new[]
            {
                "  " + i.Vm, i.Image, i.State.ToString().ToUpperInvariant(),
                i.LastSuccess is { } p ? ReportFormatter.Time(Utc(p.EndedAt), zone) : "never",
                i.LastSuccess is { } q ? PointListFormatter.TypeLabel(q.Type) : "-",
                i.LastSuccess?.RestorePoint ?? "-",
                i.Age is { } a ? Overdue.FormatAge(a) : "-",
                i.LastRunOk switch { true => "ok", false => "FAILED", null => "-" },
                i.LastVerified is { } v ? ReportFormatter.Time(Utc(v), zone) : "never",
                i.ChainPoints.ToString(), IecSize.Format(i.StoredBytes), i.Reason,
            }));
            sb.Append(AdminFormatter.Table(rows));
        }
        return sb.ToString();
    }

    public static string Json(StatusReport r) => OutputJson.Serialize(new
    {
        state = r.State.ToString().ToUpperInvariant(),
        exitCode = (int)r.State,
        summary = r.Summary,
        time = r.Now.UtcDateTime,
        jobs = r.Jobs.Select(j => new
        {
            job = j.Job.Name,
            enabled = j.Enabled,
            state = j.State.ToString().ToUpperInvariant(),
            problem = j.Problem,
            lastRun = j.Job.LastRun,
            lastCompletion = j.Job.LastCompletion,
            lastRunOk = j.LastRunOk,
            nextRun = j.NextRun?.ToString("yyyy-MM-dd"),
            storedBytes = j.StoredBytes,
            images = j.Images.Select(i => new
            {
                vm = i.Vm,
                image = i.Image,
                state = i.State.ToString().ToUpperInvariant(),
                overdue = i.Verdict.Overdue,
                reason = i.Reason,
                lastSuccess = i.LastSuccess is { } p
                    ? new { time = p.EndedAt, type = p.Type.ToDb(), restorePoint = p.RestorePoint, sizeBytes = p.SizeBytes, durationSeconds = (p.EndedAt - p.StartedAt).TotalSeconds }
                    : null,
                ageSeconds = i.Age is { } a ? (long?)a.TotalSeconds : null,
                overdueAfter = i.Verdict.WarnAfter?.UtcDateTime,
                criticalAfter = i.Verdict.CritAfter?.UtcDateTime,
                lastRun = i.LastRun,
                lastRunOk = i.LastRunOk,
                lastVerified = i.LastVerified,
                chainPoints = i.ChainPoints,
                storedBytes = i.StoredBytes,
            }),
        }),
    });

    private static DateTimeOffset Utc(DateTime d) => new(DateTime.SpecifyKind(d, DateTimeKind.Utc));
}
