namespace CephBackup.Core.Reporting;

/// <summary>One report email: both bodies are sent as multipart/alternative.</summary>
public sealed record MailMessageContent(string Subject, string HtmlBody, string TextBody);

public interface IMailSender
{
    /// <summary>
    /// Delivers <paramref name="message"/> to the configured recipients. Does nothing when mail is disabled.
    /// Throws <see cref="CephBackupException"/> with <see cref="ExitCode.ReportNotDelivered"/> when delivery fails.
    /// </summary>
    Task SendAsync(MailMessageContent message, CancellationToken ct);
}
