namespace CephBackup.Core.Reporting;

/// <summary>How the connection to the SMTP server is secured.</summary>
public enum MailSecurity
{
    /// <summary>Plain SMTP. Only for a relay on localhost or a trusted network (and for tests).</summary>
    None,
    /// <summary>STARTTLS is required: sending fails if the server does not offer it (usually port 587 or 25).</summary>
    StartTls,
    /// <summary>Implicit TLS from the first byte (usually port 465).</summary>
    SslOnConnect,
}

/// <summary>The <c>Mail</c> section of the configuration file: where the email report goes.</summary>
public sealed record MailOptions
{
    /// <summary>False: no report is sent and no other setting is needed.</summary>
    public bool Enabled { get; init; }
    public string? Host { get; init; }
    public int Port { get; init; } = 25;
    public MailSecurity Security { get; init; } = MailSecurity.StartTls;
    /// <summary>SMTP AUTH user; when null or empty the client does not authenticate.</summary>
    public string? User { get; init; }
    public string? Password { get; init; }
    /// <summary>Sender address; the display name is always "backup".</summary>
    public string? From { get; init; }
    public IReadOnlyList<string> To { get; init; } = [];

    /// <summary>The password must never reach a log line through a record dump.</summary>
    public override string ToString() =>
        $"MailOptions {{ Enabled = {Enabled}, Host = {Host}, Port = {Port}, Security = {Security}, User = {User}, " +
        $"Password = {(string.IsNullOrEmpty(Password) ? "(none)" : "***")}, From = {From}, To = [{string.Join(", ", To)}] }}";
}
