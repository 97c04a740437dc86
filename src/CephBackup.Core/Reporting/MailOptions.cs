namespace CephBackup.Core.Reporting;

public enum MailSecurity { None, StartTls, SslOnConnect }

/// <summary>The <c>Mail</c> section of the configuration file.</summary>
public sealed record MailOptions
{
    /// <summary>False: reports are only logged, never sent.</summary>
    public bool Enabled { get; init; }
    public string? Host { get; init; }
    public int Port { get; init; } = 25;
    public MailSecurity Security { get; init; } = MailSecurity.StartTls;
    public string? User { get; init; }
    public string? Password { get; init; }
    public string? From { get; init; }
    public IReadOnlyList<string> To { get; init; } = [];
}
