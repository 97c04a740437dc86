namespace CephBackup.Commands.TrimSnap;

public sealed record TrimSnapArgs
{
    public string? ConfigPath { get; init; }
    public string? Job { get; init; }
    public bool DryRun { get; init; }
    public bool Json { get; init; }
}
