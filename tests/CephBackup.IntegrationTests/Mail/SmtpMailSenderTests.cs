using CephBackup.Core;
using CephBackup.Core.Reporting;
using CephBackup.IntegrationTests.Infrastructure;
using MimeKit;

namespace CephBackup.IntegrationTests.Mail;

public sealed class SmtpMailSenderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private const string Password = "s3cret-Pässword!";

    private static readonly MailMessageContent Report = new(
        "cephbackup: 3 images backed up",
        "<html><body><h1>Backup report</h1><p>all <b>3</b> images ok</p></body></html>",
        "Backup report\nall 3 images ok\n");

    private static MailOptions Options(int port, string? user = null, string? password = null) => new()
    {
        Enabled = true,
        Host = "127.0.0.1",
        Port = port,
        // The in-process server speaks plain SMTP; StartTls/SslOnConnect would need a certificate.
        Security = MailSecurity.None,
        User = user,
        Password = password,
        From = "cephbackup@example.org",
        To = ["ops@example.org", "Second Admin <admin2@example.org>"],
    };

    [Fact]
    public async Task Message_arrives_with_subject_both_bodies_all_recipients_and_sender()
    {
        await using var server = await TestSmtpServer.StartAsync();

        await new SmtpMailSender(Options(server.Port)).SendAsync(Report, CancellationToken.None);

        var received = Assert.Single(await server.WaitForMessagesAsync(1, Wait));
        var msg = received.Message;
        Assert.Equal(Report.Subject, msg.Subject);

        var from = Assert.Single(msg.From.Mailboxes);
        Assert.Equal("backup", from.Name);
        Assert.Equal("cephbackup@example.org", from.Address);
        Assert.Equal("cephbackup@example.org", received.EnvelopeFrom);

        Assert.Equal(["ops@example.org", "admin2@example.org"], msg.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["ops@example.org", "admin2@example.org"], received.EnvelopeTo);

        var alternative = Assert.IsType<MultipartAlternative>(msg.Body);
        Assert.Equal(2, alternative.Count);
        Assert.Equal(Report.TextBody, msg.TextBody);
        Assert.Equal(Report.HtmlBody, msg.HtmlBody);
        Assert.Null(received.AuthenticatedUser);
    }

    [Fact]
    public async Task With_credentials_the_client_authenticates_as_the_configured_user()
    {
        await using var server = await TestSmtpServer.StartAsync("reporter", Password);

        await new SmtpMailSender(Options(server.Port, "reporter", Password)).SendAsync(Report, CancellationToken.None);

        var received = Assert.Single(await server.WaitForMessagesAsync(1, Wait));
        Assert.Equal("reporter", received.AuthenticatedUser);
        Assert.Equal(["reporter"], server.AuthenticatedUsers);
    }

    [Fact]
    public async Task Wrong_password_fails_as_report_not_delivered_without_revealing_the_password()
    {
        await using var server = await TestSmtpServer.StartAsync("reporter", "the-right-one");

        var ex = await Assert.ThrowsAsync<CephBackupException>(
            () => new SmtpMailSender(Options(server.Port, "reporter", Password)).SendAsync(Report, CancellationToken.None));

        Assert.Equal(ExitCode.ReportNotDelivered, ex.Code);
        Assert.StartsWith("email not delivered: ", ex.Message);
        Assert.Contains("reporter", ex.Message);
        AssertNoSecret(ex, Password);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task Server_down_fails_as_report_not_delivered_without_revealing_the_password()
    {
        var port = TestSmtpServer.FreePort();

        var ex = await Assert.ThrowsAsync<CephBackupException>(
            () => new SmtpMailSender(Options(port, "reporter", Password)).SendAsync(Report, CancellationToken.None));

        Assert.Equal(ExitCode.ReportNotDelivered, ex.Code);
        Assert.StartsWith("email not delivered: ", ex.Message);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        AssertNoSecret(ex, Password);
    }

    [Fact]
    public async Task StartTls_is_required_when_configured_and_never_falls_back_to_plain_text()
    {
        await using var server = await TestSmtpServer.StartAsync();

        var ex = await Assert.ThrowsAsync<CephBackupException>(() =>
            new SmtpMailSender(Options(server.Port) with { Security = MailSecurity.StartTls }).SendAsync(Report, CancellationToken.None));

        Assert.Equal(ExitCode.ReportNotDelivered, ex.Code);
        Assert.Contains("STARTTLS", ex.Message);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task Disabled_mail_sends_nothing_and_does_not_even_connect()
    {
        await using var server = await TestSmtpServer.StartAsync();

        await new SmtpMailSender(Options(server.Port) with { Enabled = false }).SendAsync(Report, CancellationToken.None);

        // Sending is awaited to completion, so any connection would already have been counted.
        Assert.Equal(0, server.SessionCount);
        Assert.Empty(server.Received);
    }

    private static void AssertNoSecret(Exception ex, string secret)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            Assert.DoesNotContain(secret, e.Message);
            Assert.DoesNotContain(secret, e.ToString());
        }
    }
}
