namespace CephBackup.Commands.ListVerb;

public sealed record ListArgs
{
    public string? ConfigPath { get; init; }
    public required string Vm { get; init; }
    public string? Job { get; init; }
    public string? Image { get; init; }
    public bool Json { get; init; }
}
