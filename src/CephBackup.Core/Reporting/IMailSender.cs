namespace CephBackup.Core.Reporting;

public sealed record MailMessageContent(string Subject, string HtmlBody, string TextBody);

public interface IMailSender
{
    Task SendAsync(MailMessageContent message, CancellationToken ct);
}
