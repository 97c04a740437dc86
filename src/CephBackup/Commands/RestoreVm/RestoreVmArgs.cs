namespace CephBackup.Commands.RestoreVm;

public sealed record RestoreVmArgs
{
    public string? ConfigPath { get; init; }
    public required string Job { get; init; }
    public required string Vm { get; init; }
    public required string RestorePoint { get; init; }
    public required string Suffix { get; init; }
    public string? Pool { get; init; }
    public bool DryRun { get; init; }
    public bool ForceUnverified { get; init; }
    public bool Json { get; init; }
}
