using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Serilog;

namespace CephBackup.Core.Reporting;

/// <summary>
/// Sends the report through one SMTP server with MailKit. With <see cref="MailOptions.Enabled"/> false,
/// <see cref="SendAsync"/> returns at once without connecting anywhere, so callers need no check of their own.
/// </summary>
public sealed class SmtpMailSender : IMailSender
{
    /// <summary>Network read/write timeout; a hung relay must not keep a finished backup run alive forever.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly MailOptions _options;
    private readonly MailboxAddress? _from;
    private readonly IReadOnlyList<MailboxAddress> _to = [];
    private readonly ILogger _log;

    /// <exception cref="CephBackupException"><see cref="ExitCode.ConfigError"/> when mail is enabled but incomplete.</exception>
    public SmtpMailSender(MailOptions options, ILogger? log = null)
    {
        _options = options;
        // No global logger: a sender built without one logs nowhere rather than into a static nobody set up.
        _log = (log ?? Serilog.Core.Logger.None).ForContext<SmtpMailSender>();
        if (!options.Enabled) return;

        // Checked here, at start-up, so a typo fails the run before any backup work instead of after it.
        if (string.IsNullOrWhiteSpace(options.Host)) throw Config("Mail:Host is required when Mail:Enabled is true");
        if (options.Port is < 1 or > 65535) throw Config($"Mail:Port {options.Port} is not a TCP port");
        if (string.IsNullOrWhiteSpace(options.From)) throw Config("Mail:From is required when Mail:Enabled is true");
        if (options.To.Count == 0) throw Config("Mail:To needs at least one recipient when Mail:Enabled is true");
        _from = new MailboxAddress("backup", ParseAddress(options.From, "Mail:From").Address);
        _to = options.To.Select((t, i) => ParseAddress(t, $"Mail:To:{i}")).ToList();
    }

    public async Task SendAsync(MailMessageContent message, CancellationToken ct)
    {
        if (!_options.Enabled) return;

        var mime = new MimeMessage();
        mime.From.Add(_from!);
        mime.To.AddRange(_to);
        mime.Subject = message.Subject;
        mime.Body = new BodyBuilder { TextBody = message.TextBody, HtmlBody = message.HtmlBody }.ToMessageBody();

        using var client = new SmtpClient { Timeout = (int)Timeout.TotalMilliseconds };
        string reply;
        try
        {
            await client.ConnectAsync(_options.Host!, _options.Port, ToSocketOptions(_options.Security), ct);
            if (!string.IsNullOrEmpty(_options.User))
                await client.AuthenticateAsync(_options.User, _options.Password ?? "", ct);
            reply = await client.SendAsync(mime, ct);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            throw NotDelivered(ex);
        }

        try
        {
            await client.DisconnectAsync(quit: true, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The server has accepted the message; a failed QUIT must not turn a delivered report into an error.
            _log.Debug("SMTP QUIT to {Host}:{Port} failed after delivery: {Error}", _options.Host, _options.Port, Scrub(ex.Message));
        }
        _log.Information("Report mailed to {Recipients} via {Host}:{Port}: {Reply}",
            string.Join(", ", _to.Select(t => t.Address)), _options.Host, _options.Port, Scrub(reply));
    }

    internal static SecureSocketOptions ToSocketOptions(MailSecurity security) => security switch
    {
        // Explicit on purpose: MailKit's Auto would silently fall back to plain text when a server offers no TLS.
        MailSecurity.None => SecureSocketOptions.None,
        MailSecurity.StartTls => SecureSocketOptions.StartTls,
        MailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => throw new ArgumentOutOfRangeException(nameof(security), security, "unknown mail security"),
    };

    private CephBackupException NotDelivered(Exception ex)
    {
        var where = $"{_options.Host}:{_options.Port}";
        var reason = ex switch
        {
            SocketException se => $"cannot connect to {where} ({se.SocketErrorCode})",
            AuthenticationException ae => $"authentication as '{_options.User}' at {where} failed: {Scrub(ae.Message)}",
            SmtpCommandException ce => $"{where} rejected the message ({(int)ce.StatusCode} {ce.ErrorCode}" +
                                       (ce.Mailbox is null ? "" : $", {ce.Mailbox.Address}") + $"): {Scrub(ce.Message)}",
            SslHandshakeException => $"TLS handshake with {where} failed ({_options.Security})",
            TimeoutException or OperationCanceledException => $"no answer from {where} within {Timeout.TotalSeconds:0} s",
            _ => $"{where}: {Scrub(ex.Message)}",
        };
        // Server replies and protocol errors can echo what the client sent, so only exceptions raised before any
        // credential was on the wire are kept as the inner exception (its text ends up in logs unfiltered).
        var inner = ex is SocketException or SslHandshakeException ? ex : null;
        return new CephBackupException(ExitCode.ReportNotDelivered, $"email not delivered: {reason}", inner);
    }

    /// <summary>Removes the password and its base64 form (SASL PLAIN/LOGIN send it so) from server-supplied text.</summary>
    private string Scrub(string text)
    {
        var pw = _options.Password;
        if (string.IsNullOrEmpty(pw)) return text;
        var result = text.Replace(pw, "***", StringComparison.Ordinal);
        var b64 = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pw));
        result = result.Replace(b64, "***", StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(_options.User))
        {
            var plain = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{_options.User}\0{pw}"));
            result = result.Replace(plain, "***", StringComparison.Ordinal);
        }
        return result;
    }

    private static MailboxAddress ParseAddress(string text, string key)
    {
        if (MailboxAddress.TryParse(text, out var address) && address.Address.Contains('@'))
            return address;
        throw Config($"{key}: '{text}' is not an email address");
    }

    private static CephBackupException Config(string message) => new(ExitCode.ConfigError, message);
}
