using CephBackup.Core;
using CephBackup.Core.Reporting;
using MailKit.Security;
using Microsoft.Extensions.Configuration;

namespace CephBackup.Tests.Reporting;

public sealed class SmtpMailSenderConfigTests
{
    private static readonly MailOptions Valid = new()
    {
        Enabled = true, Host = "smtp.example.org", Port = 587, From = "backup@example.org", To = ["ops@example.org"],
    };

    [Fact]
    public void Defaults_are_disabled_port_25_and_StartTls()
    {
        var o = new MailOptions();
        Assert.False(o.Enabled);
        Assert.Equal(25, o.Port);
        Assert.Equal(MailSecurity.StartTls, o.Security);
        Assert.Empty(o.To);
    }

    [Fact]
    public async Task Disabled_options_need_no_other_setting_and_send_returns_at_once()
    {
        var sender = new SmtpMailSender(new MailOptions { Enabled = false });
        await sender.SendAsync(new MailMessageContent("s", "<p>h</p>", "t"), CancellationToken.None);
    }

    public static TheoryData<string, MailOptions> Incomplete => new()
    {
        { "Mail:Host", Valid with { Host = null } },
        { "Mail:Port", Valid with { Port = 0 } },
        { "Mail:From", Valid with { From = " " } },
        { "Mail:From", Valid with { From = "not an address" } },
        { "Mail:To", Valid with { To = [] } },
        { "Mail:To:1", Valid with { To = ["ops@example.org", "nobody"] } },
    };

    [Theory]
    [MemberData(nameof(Incomplete))]
    public void Enabled_but_incomplete_options_are_a_config_error_at_construction(string key, MailOptions options)
    {
        var ex = Assert.Throws<CephBackupException>(() => new SmtpMailSender(options));
        Assert.Equal(ExitCode.ConfigError, ex.Code);
        Assert.Contains(key, ex.Message);
    }

    [Theory]
    [InlineData(MailSecurity.None, SecureSocketOptions.None)]
    [InlineData(MailSecurity.StartTls, SecureSocketOptions.StartTls)]
    [InlineData(MailSecurity.SslOnConnect, SecureSocketOptions.SslOnConnect)]
    public void Security_maps_to_explicit_MailKit_options(MailSecurity security, SecureSocketOptions expected) =>
        Assert.Equal(expected, SmtpMailSender.ToSocketOptions(security));

    [Fact]
    public void ToString_hides_the_password()
    {
        var text = (Valid with { User = "u", Password = "hunter2-pw" }).ToString();
        Assert.DoesNotContain("hunter2-pw", text);
        Assert.Contains("Password = ***", text);
    }

    [Fact]
    public void Mail_section_of_the_config_file_binds_to_MailOptions()
    {
        var json = """
            { "Mail": { "Enabled": true, "Host": "smtp.example.org", "Port": 465, "Security": "SslOnConnect",
                        "User": "u", "Password": "p", "From": "backup@example.org", "To": ["a@example.org", "b@example.org"] } }
            """;
        var config = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();

        var o = config.GetSection("Mail").Get<MailOptions>()!;

        Assert.Equal(Valid with { Port = 465, Security = MailSecurity.SslOnConnect, User = "u", Password = "p", To = o.To }, o);
        Assert.Equal(["a@example.org", "b@example.org"], o.To);
    }
}
