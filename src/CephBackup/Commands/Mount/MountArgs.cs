using CephBackup.Core.Nbd;

namespace CephBackup.Commands.Mount;

public sealed record MountArgs
{
    public string? ConfigPath { get; init; }
    /// <summary>Null in the <c>--from-dir</c> form.</summary>
    public string? Job { get; init; }
    /// <summary>The <c>vms.image</c> value; null in the <c>--from-dir</c> form.</summary>
    public string? Image { get; init; }
    public required string RestorePoint { get; init; }
    public string? FromDir { get; init; }
    /// <summary><c>unix:PATH</c> or <c>tcp:ADDR:PORT</c>; null = the default unix socket.</summary>
    public string? Listen { get; init; }
    public string? ExportName { get; init; }
    public VerifyMode Verify { get; init; } = VerifyMode.First;
    public bool ForceUnverified { get; init; }
}
