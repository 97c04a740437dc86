namespace CephBackup.Commands.ListVerb;

public sealed record ListArgs
{
    public string? ConfigPath { get; init; }
    /// <summary>Null: every VM.</summary>
    public string? Vm { get; init; }
    public string? Job { get; init; }
    public string? Image { get; init; }
    public bool Json { get; init; }
}
