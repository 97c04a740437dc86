using System.Text;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Planning;

namespace CephBackup.Core.Reporting;

/// <summary>Output of the <c>job</c> and <c>vm</c> verbs: aligned tables for people, JSON (docs/JSON.md) for scripts.</summary>
public static class AdminFormatter
{
    public static string JobsTable(IReadOnlyList<JobView> jobs)
    {
        var rows = new List<string[]> { new[] { "JOB", "ENABLED", "PATH", "MODE", "MAX-INC", "RETENTION", "SCHEDULE", "IMAGES", "POINTS" } };
        rows.AddRange(jobs.Select(v => new[]
        {
            v.Job.Name ?? $"#{v.Job.Id}", v.Job.Enabled == 1 ? "yes" : "no", v.Job.Path ?? "-", v.Job.Mode ?? "incremental",
            v.Job.MaxInc.ToString(), v.Job.Retention?.ToString() ?? "-", ScheduleText(v.Days, v.Weeks), v.Images.Count.ToString(), v.Points.ToString(),
        }));
        return Table(rows) + (jobs.Count == 0 ? "(no jobs: 'cephbackup job add NAME --path P')\n" : "");
    }

    public static string JobDetail(JobView v)
    {
        var j = v.Job;
        var sb = new StringBuilder();
        void Line(string k, object? val) => sb.AppendLine($"{k + ":",-14}{val ?? "-"}");
        Line("job", $"{j.Name} (id {j.Id})");
        Line("enabled", j.Enabled == 1 ? "yes" : "no");
        Line("path", j.Path);
        Line("mode", j.Mode ?? "incremental");
        Line("max-inc", j.MaxInc);
        Line("retention", j.Retention);
        Line("snap-prefix", SnapshotNames.EffectivePrefix(j));
        Line("max-snaps", j.MaxSnaps);
        Line("mountpoint", j.CheckMount != 0 ? j.MountPoint : "(no mount check)");
        Line("parallel", j.MaxParallel?.ToString() ?? "(Backup:Parallelism)");
        Line("schedule", ScheduleText(v.Days, v.Weeks));
        Line("last run", j.LastRun is { } r ? r.ToString("yyyy-MM-dd HH:mm:ss") + " UTC" : null);
        Line("completed", j.LastCompletion is { } c ? c.ToString("yyyy-MM-dd HH:mm:ss") + " UTC" : null);
        Line("points", v.Points);
        sb.AppendLine("images:");
        foreach (var i in v.Images) sb.AppendLine($"  {i.Vm}  {i.Image}  (chain {i.Full:D6}, point {i.Inc:D6})");
        if (v.Images.Count == 0) sb.AppendLine("  (none: 'cephbackup job attach JOB VM')");
        return sb.ToString();
    }

    public static object JobJson(JobView v) => new
    {
        id = v.Job.Id,
        name = v.Job.Name,
        enabled = v.Job.Enabled == 1,
        path = v.Job.Path,
        mode = v.Job.Mode ?? "incremental",
        maxInc = v.Job.MaxInc,
        retention = v.Job.Retention,
        snapPrefix = SnapshotNames.EffectivePrefix(v.Job),
        maxSnaps = v.Job.MaxSnaps,
        mountpoint = v.Job.CheckMount != 0 ? v.Job.MountPoint : null,
        parallel = v.Job.MaxParallel,
        days = Flags(v.Days, 7),
        weeks = Flags(v.Weeks, 5),
        lastRun = v.Job.LastRun,
        lastCompletion = v.Job.LastCompletion,
        points = v.Points,
        images = v.Images.Select(i => new { vm = i.Vm, image = i.Image, chain = i.Full, point = i.Inc }),
    };

    public static string VmTable(IReadOnlyList<VmImageView> rows)
    {
        var t = new List<string[]> { new[] { "VM", "IMAGE", "JOBS", "POINTS" } };
        t.AddRange(rows.Select(r => new[] { r.Vm, r.Image, r.Jobs.Count == 0 ? "-" : string.Join(",", r.Jobs), r.Points.ToString() }));
        return Table(t) + (rows.Count == 0 ? "(no VMs: 'cephbackup vm add VM IMAGE…')\n" : "");
    }

    public static object VmJson(VmImageView r) => new { vm = r.Vm, image = r.Image, jobs = r.Jobs, points = r.Points };

    /// <summary>"every day", "days 1,3 (Mon,Wed), weeks 1": ISO day numbers as in backup_days.</summary>
    public static string ScheduleText(ScheduleFlags? days, ScheduleFlags? weeks)
    {
        if (days is null && weeks is null) return "every day";
        var parts = new List<string>();
        if (days is not null) parts.Add("days " + (Flags(days, 7) is { Count: > 0 } d ? string.Join(",", d) : "none"));
        if (weeks is not null) parts.Add("weeks " + (Flags(weeks, 5) is { Count: > 0 } w ? string.Join(",", w) : "none"));
        return string.Join(" ", parts);
    }

    /// <summary>The set numbers, or null for "no restriction" (no row).</summary>
    private static List<int>? Flags(ScheduleFlags? f, int max) => f is null ? null : Enumerable.Range(1, max).Where(f.IsSet).ToList();

    internal static string Table(List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in rows)
            sb.AppendLine(string.Join("  ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        return sb.ToString();
    }
}
