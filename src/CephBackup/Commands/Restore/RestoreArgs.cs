namespace CephBackup.Commands.Restore;

public sealed record RestoreArgs
{
    public string? ConfigPath { get; init; }
    /// <summary>Null in the <c>--from-dir</c> form.</summary>
    public string? Job { get; init; }
    /// <summary>The <c>vms.image</c> value; null in the <c>--from-dir</c> form.</summary>
    public string? Image { get; init; }
    public required string RestorePoint { get; init; }
    public required string NewName { get; init; }
    /// <summary>Chain folder (or its image folder) to restore from without the database.</summary>
    public string? FromDir { get; init; }
    public string? Pool { get; init; }
    public bool DryRun { get; init; }
    public bool KeepSnapshots { get; init; }
    public bool VerifyFirst { get; init; }
    public bool ForceUnverified { get; init; }
    public bool Json { get; init; }
    /// <summary>Write a sparse raw image file instead of an RBD image (then NewName is empty).</summary>
    public string? ToFile { get; init; }
}
