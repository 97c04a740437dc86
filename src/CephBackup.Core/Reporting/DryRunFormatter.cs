using System.Text;

namespace CephBackup.Core.Reporting;

/// <summary>The text of <c>exec --dry-run</c>: per job whether it is due, per image what would be made.</summary>
public static class DryRunFormatter
{
    public static string Text(IEnumerable<JobReport> jobs)
    {
        var sb = new StringBuilder();
        foreach (var j in jobs)
        {
            if (j.Result == JobResult.Skipped)
            {
                sb.Append("job ").Append(j.JobName).Append(": skip (").Append(j.Message).AppendLine(")");
                continue;
            }
            if (j.Plan is not { } p)
            {
                sb.Append("job ").Append(j.JobName).Append(": FAIL (").Append(j.Message).AppendLine(")");
                continue;
            }
            sb.Append("job ").Append(j.JobName).Append(": run (").Append(p.Reason).Append("), mode ").Append(p.Mode)
                .Append(", max_inc ").Append(p.MaxInc).Append(", prefix ").Append(p.Prefix).AppendLine();
            foreach (var w in j.Warnings) sb.Append("  warning: ").AppendLine(w);
            foreach (var i in j.Images)
            {
                sb.Append("  ").Append(i.Vm).Append('/').Append(i.Image).Append(": ");
                if (i.Result == ImageResult.Failed) sb.Append("cannot plan: ").AppendLine(i.Detail);
                else sb.Append(i.Type).Append(' ').Append(i.RestorePoint).Append(" snapshot ").Append(i.Snapshot)
                    .Append(" from ").Append(i.FromSnapshot ?? "-").Append(" (").Append(i.Detail).AppendLine(")");
            }
        }
        return sb.ToString();
    }
}
