using System.Globalization;
using System.Net;
using System.Text;

namespace CephBackup.Core.Reporting;

public enum RetentionResult { Kept, Deleted, KeptImmutable, Failed, WouldDelete, ConfigError }

/// <summary>One chain (or, with <see cref="Chain"/> null, a whole job or image) in the retention report.</summary>
public sealed record RetentionRow
{
    public required string Job { get; init; }
    public string? Vm { get; init; }
    public string? Image { get; init; }
    public int? Chain { get; init; }
    public RetentionResult Result { get; init; }
    public long BytesFreed { get; init; }
    public required string Detail { get; init; }

    public string ResultLabel => Result switch
    {
        RetentionResult.Kept => "kept",
        RetentionResult.Deleted => "deleted",
        RetentionResult.KeptImmutable => "kept: immutable",
        RetentionResult.Failed => "FAIL",
        RetentionResult.WouldDelete => "would delete",
        _ => "FAIL: configuration",
    };

    public override string ToString() =>
        $"{Job} {(Vm is null ? "" : $"{Vm}/{Image} ")}{(Chain is { } c ? c.ToString("D6", CultureInfo.InvariantCulture) : "-")}: {ResultLabel}" +
        (BytesFreed > 0 ? $", {ReportFormatter.Size(BytesFreed)} freed" : "") + $" ({Detail})";
}

public sealed record RetentionReport(IReadOnlyList<RetentionRow> Rows)
{
    public bool IsFailure => Rows.Any(r => r.Result is RetentionResult.Failed or RetentionResult.ConfigError);
    public bool AnythingHappened => IsFailure || Rows.Any(r => r.Result == RetentionResult.Deleted);

    /// <summary>The PHP tool's subject, with the [FAIL] prefix exec reports use when something failed.</summary>
    public string Subject => (IsFailure ? "[FAIL] " : "") + "CEPH Backup retention";

    /// <summary>The mail leaves out chains kept for ordinary reasons: only what changed or needs a look.</summary>
    public IEnumerable<RetentionRow> Notable => Rows.Where(r => r.Result != RetentionResult.Kept);
}

/// <summary>The retention mail: the PHP table (JOB | PATH | RESULT) split into job, VM, image and chain, plus bytes freed.</summary>
public static class RetentionReportFormatter
{
    private static readonly string[] Columns = ["Job", "VM", "Image", "Chain", "Result", "Freed", "Details"];

    public static MailMessageContent ToMail(RetentionReport r) => new(r.Subject, Html(r), Text(r));

    public static string Html(RetentionReport r)
    {
        var head = r.IsFailure ? "#d9534f" : "#5cb85c";
        var sb = new StringBuilder("<html><body style=\"font-family:sans-serif\">");
        sb.Append(CultureInfo.InvariantCulture, $"<h3>{E(r.Subject)}</h3>");
        var rows = r.Notable.ToList();
        if (rows.Count == 0) sb.Append("<p>Nothing to delete.</p>");
        else
        {
            sb.Append("<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr>");
            foreach (var c in Columns) sb.Append(CultureInfo.InvariantCulture, $"<th style=\"background:{head};color:#fff\">{c}</th>");
            sb.Append("</tr>");
            foreach (var row in rows)
            {
                var color = row.Result is RetentionResult.Failed or RetentionResult.ConfigError ? "#d9534f"
                    : row.Result == RetentionResult.KeptImmutable ? "#b8860b" : "#5cb85c";
                var cells = Cells(row);
                sb.Append("<tr>");
                for (var i = 0; i < cells.Length; i++)
                    sb.Append(i == 4 ? $"<td style=\"color:{color}\"><b>{E(cells[i])}</b></td>" : $"<td>{E(cells[i])}</td>");
                sb.Append("</tr>");
            }
            sb.Append("</table>");
        }
        return sb.Append("</body></html>").ToString();
    }

    public static string Text(RetentionReport r)
    {
        var sb = new StringBuilder().AppendLine(r.Subject).AppendLine();
        var rows = r.Notable.ToList();
        if (rows.Count == 0) return sb.AppendLine("Nothing to delete.").ToString();
        sb.AppendLine(string.Join(" | ", Columns));
        foreach (var row in rows) sb.AppendLine(string.Join(" | ", Cells(row)));
        return sb.ToString();
    }

    private static string[] Cells(RetentionRow r) =>
    [
        r.Job, r.Vm ?? "-", r.Image ?? "-", r.Chain?.ToString("D6", CultureInfo.InvariantCulture) ?? "-", r.ResultLabel,
        r.BytesFreed > 0 ? ReportFormatter.Size(r.BytesFreed) : "-", r.Detail,
    ];

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
