namespace CephBackup.Commands.Verify;

public sealed record VerifyArgs
{
    public string? ConfigPath { get; init; }
    public string? Job { get; init; }
    public string? Vm { get; init; }
    public string? Image { get; init; }
    public DateOnly? Since { get; init; }
    public bool Deep { get; init; }
    public bool Json { get; init; }
}
