namespace CephBackup.Core.Ceph;

/// <summary>The <c>Ceph</c> section of the configuration file.</summary>
public sealed record CephOptions
{
    /// <summary>Pool of images whose <c>vms.image</c> does not name one (<c>pool/image</c>).</summary>
    public string Pool { get; init; } = "rbd";
    public string? ConfFile { get; init; }
    public string? ClientId { get; init; }
    public string? Keyring { get; init; }
    public string RbdPath { get; init; } = "rbd";
    /// <summary>Per-operation timeout handed to librados; without it the rbd CLI waits forever on a dead cluster.</summary>
    public int TimeoutSeconds { get; init; } = 60;
    /// <summary>rbd's <c>--rbd-concurrent-management-ops</c> (objects in flight per export/import); null = rbd's default.</summary>
    public int? ConcurrentOps { get; init; }
}
