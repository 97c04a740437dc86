namespace CephBackup.Core.Ceph;

public sealed record RbdImageInfo(string Name, long SizeBytes, IReadOnlyList<string> Features, int SnapshotCount);

public sealed record RbdSnapshot(long Id, string Name, long SizeBytes, bool Protected, DateTimeOffset? Timestamp);

/// <summary>One entry of <c>rbd lock ls</c>: the exclusive lock of a client has the id <c>auto &lt;cookie&gt;</c>.</summary>
public sealed record RbdLock(string Id, string Locker, string Address);

/// <summary>The rbd operations the suite needs. Every call runs the rbd CLI with an argv list, never a shell.</summary>
public interface IRbd
{
    /// <summary>Image info, or null when the image does not exist (rbd exit 2).</summary>
    Task<RbdImageInfo?> InfoAsync(ImageRef image, CancellationToken ct);
    Task<bool> ExistsAsync(ImageRef image, CancellationToken ct);
    Task CreateAsync(ImageRef image, long sizeBytes, CancellationToken ct);
    /// <summary>Removes an image; its snapshots are purged first.</summary>
    Task RemoveAsync(ImageRef image, CancellationToken ct);
    Task<IReadOnlyList<string>> ListImagesAsync(string pool, CancellationToken ct);

    /// <summary>The locks on an image (<c>rbd lock ls</c>), the exclusive lock of a live or dead client included.</summary>
    Task<IReadOnlyList<RbdLock>> LockListAsync(ImageRef image, CancellationToken ct);
    /// <summary>
    /// Breaks a lock (<c>rbd lock rm</c>); librbd blocklists the locker so a dead client's lock is gone at once
    /// instead of after the ~30 s watch timeout. Only for images this process made: it also stops a live client.
    /// </summary>
    Task LockRemoveAsync(ImageRef image, RbdLock rbdLock, CancellationToken ct);

    Task SnapCreateAsync(ImageRef image, string snapshot, CancellationToken ct);
    /// <summary>Snapshots in creation order (snapshot id).</summary>
    Task<IReadOnlyList<RbdSnapshot>> SnapListAsync(ImageRef image, CancellationToken ct);
    Task SnapRemoveAsync(ImageRef image, string snapshot, CancellationToken ct);
    /// <summary>Gives a snapshot another name (<c>rbd snap rename</c>); its content and id stay.</summary>
    Task SnapRenameAsync(ImageRef image, string snapshot, string newName, CancellationToken ct);
    Task SnapRollbackAsync(ImageRef image, string snapshot, CancellationToken ct);

    /// <summary>Streams <c>rbd export-diff [--from-snap F] image@snap -</c> into <paramref name="sink"/>.</summary>
    Task ExportDiffAsync(ImageRef image, string snapshot, string? fromSnapshot, Stream sink, CancellationToken ct);
    /// <summary>Streams <paramref name="source"/> into <c>rbd import-diff - image</c>.</summary>
    Task ImportDiffAsync(ImageRef image, Stream source, CancellationToken ct);
    /// <summary>Streams the whole image content, <c>rbd export --no-progress image[@snap] -</c>, into <paramref name="sink"/>.</summary>
    Task ExportAsync(ImageRef image, string? snapshot, Stream sink, CancellationToken ct);
}

/// <summary>rbd exited non-zero: carries its exit code (an errno) and the tail of its stderr.</summary>
public sealed class RbdException(string operation, int exitCode, string stderrTail)
    : CephBackupException(Core.ExitCode.CephError, $"rbd {operation} failed ({exitCode}): {LastLine(stderrTail)}")
{
    public string Operation { get; } = operation;
    public int RbdExitCode { get; } = exitCode;
    public string StderrTail { get; } = stderrTail;
    public bool IsNotFound => RbdExitCode == 2;
    public bool IsExists => RbdExitCode == 17;
    public bool IsTimeout => RbdExitCode == 110;

    private static string LastLine(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no message)" : lines[^1];
    }
}
