namespace CephBackup.Commands.Exec;

public sealed record ExecArgs
{
    public string? ConfigPath { get; init; }
    public string? Job { get; init; }
    public DateOnly? Date { get; init; }
    public bool DryRun { get; init; }
    public bool Worker { get; init; }
    public bool Json { get; init; }
}
