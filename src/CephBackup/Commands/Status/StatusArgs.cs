namespace CephBackup.Commands.Status;

public sealed record StatusArgs
{
    public string? ConfigPath { get; init; }
    public string? Job { get; init; }
    public bool Json { get; init; }
    public double? WarnHours { get; init; }
    public double? CritHours { get; init; }
}
