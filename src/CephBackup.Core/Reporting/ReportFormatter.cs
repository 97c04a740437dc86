using System.Globalization;
using System.Net;
using System.Text;

namespace CephBackup.Core.Reporting;

/// <summary>Renders a job report as the PHP tool's HTML table (with an Image column) plus a plain-text twin.</summary>
public static class ReportFormatter
{
    private static readonly string[] Columns =
        ["Name", "Image", "Start time", "End time", "Size", "Speed", "Status", "Type", "Consistency", "Duration", "Details"];

    public static MailMessageContent ToMail(JobReport r, TimeZoneInfo zone) => new(r.Subject, Html(r, zone), Text(r, zone));

    public static string Html(JobReport r, TimeZoneInfo zone)
    {
        var head = r.IsFailure ? "#d9534f" : "#5cb85c";
        var sb = new StringBuilder();
        sb.Append("<html><body style=\"font-family:sans-serif\">");
        sb.Append(CultureInfo.InvariantCulture, $"<h3>{E(r.Subject)}</h3>");
        if (r.Message is not null) sb.Append(CultureInfo.InvariantCulture, $"<h3>{E(r.Message)}</h3>");
        foreach (var w in r.Warnings) sb.Append(CultureInfo.InvariantCulture, $"<p style=\"color:#b8860b\">Warning: {E(w)}</p>");
        if (r.Images.Count > 0)
        {
            sb.Append("<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr>");
            foreach (var c in Columns) sb.Append(CultureInfo.InvariantCulture, $"<th style=\"background:{head};color:#fff\">{c}</th>");
            sb.Append("</tr>");
            foreach (var i in r.Images)
            {
                var color = i.Result == ImageResult.Failed ? "#d9534f" : "#5cb85c";
                sb.Append("<tr>");
                foreach (var (value, idx) in Cells(i, zone).Select((v, k) => (v, k)))
                    sb.Append(idx == 6 ? $"<td style=\"color:{color}\"><b>{E(value)}</b></td>" : $"<td>{E(value)}</td>");
                sb.Append("</tr>");
            }
            sb.Append("</table>");
        }
        sb.Append("</body></html>");
        return sb.ToString();
    }

    public static string Text(JobReport r, TimeZoneInfo zone)
    {
        var sb = new StringBuilder();
        sb.AppendLine(r.Subject);
        if (r.Message is not null) sb.AppendLine(r.Message);
        foreach (var w in r.Warnings) sb.AppendLine("Warning: " + w);
        if (r.Images.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(string.Join(" | ", Columns));
            foreach (var i in r.Images) sb.AppendLine(string.Join(" | ", Cells(i, zone)));
        }
        return sb.ToString();
    }

    private static string[] Cells(ImageReport i, TimeZoneInfo zone) =>
    [
        i.Vm, i.Image, Time(i.Start, zone), Time(i.End, zone), Size(i.SizeBytes),
        i.MegabytesPerSecond is { } mb ? $"{Math.Floor(mb).ToString(CultureInfo.InvariantCulture)} MB/s" : "-",
        i.Result switch { ImageResult.Success => "SUCCESS", ImageResult.Failed => "FAIL", _ => "PLANNED" },
        i.RestorePoint is null ? i.Type : $"{i.Type} {i.RestorePoint}", i.Consistency ?? "-",
        Duration(i.Duration), i.Detail ?? "",
    ];

    public static string Time(DateTimeOffset t, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    /// <summary>Decimal units with two decimals, as the PHP report.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " MB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string Duration(TimeSpan d) =>
        $"{(int)d.TotalHours:00}:{d.Minutes:00}:{d.Seconds:00} ({(long)d.TotalSeconds} s)";

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
