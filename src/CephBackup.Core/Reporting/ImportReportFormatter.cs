using CephBackup.Core.Jobs;

namespace CephBackup.Core.Reporting;

/// <summary>The output of <c>cephbackup catalog import</c>: one line per image, its skipped files indented, then a total.</summary>
public static class ImportReportFormatter
{
    public static IReadOnlyList<string> Lines(ImportOutcome o)
    {
        var lines = new List<string>();
        foreach (var j in o.Jobs) lines.Add($"job {j.Job}: {j.Problem}");
        foreach (var i in o.Images)
        {
            lines.Add($"{i.Job} {i.Vm}/{i.Image}: imported {i.Imported}, already known {i.AlreadyKnown}, skipped {i.Skipped.Count}" +
                      (i.Errors.Count > 0 ? $", unreadable {i.Errors.Count}" : ""));
            lines.AddRange(i.Skipped.Select(s => $"  skipped {s.RestorePoint}: {s.Reason}"));
            lines.AddRange(i.Errors.Select(e => $"  error: {e}"));
        }
        lines.Add($"total: {o.Images.Count} image(s), imported {o.Images.Sum(i => i.Imported)}, " +
                  $"already known {o.Images.Sum(i => i.AlreadyKnown)}, skipped {o.Images.Sum(i => i.Skipped.Count)}, " +
                  $"unreadable {o.Images.Sum(i => i.Errors.Count)}" +
                  (o.Jobs.Count > 0 ? $", jobs not scanned {o.Jobs.Count}" : ""));
        return lines;
    }
}
