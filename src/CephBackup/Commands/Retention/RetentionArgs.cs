namespace CephBackup.Commands.Retention;

public sealed record RetentionArgs
{
    public string? ConfigPath { get; init; }
    public string? Job { get; init; }
    public bool DryRun { get; init; }
    public bool Json { get; init; }
    public bool AlwaysReport { get; init; }
}
