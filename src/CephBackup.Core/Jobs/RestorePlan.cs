using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;

namespace CephBackup.Core.Jobs;

/// <summary>One diff file to import, with what was recorded when it was written.</summary>
/// <param name="Sha256">Null only for a point without any checksum (allowed with --force-unverified).</param>
public sealed record RestoreFile(string RestorePoint, PointType Type, string Path, long SizeBytes, string? Sha256, string Snapshot);

/// <summary>Everything a restore needs, resolved from the catalog or from a chain folder's sidecars.</summary>
/// <param name="Source">Where the plan came from, for messages (job/vm/image or the folder).</param>
/// <param name="Files">Full first, then each diff in import order.</param>
public sealed record RestorePlan(string Source, string RestorePoint, ImageRef Target, long ImageSizeBytes, IReadOnlyList<RestoreFile> Files)
{
    public long TotalBytes => Files.Sum(f => f.SizeBytes);
}

public sealed record RestoreOptions
{
    /// <summary>Keep the snapshots import-diff creates on the new image (one per imported file).</summary>
    public bool KeepSnapshots { get; init; }
    /// <summary>
    /// Read and check every file before the image is created (two reads of each file). Default: each file is
    /// hashed while rbd imports it, and the image is removed again if any hash or size differs.
    /// </summary>
    public bool VerifyFirst { get; init; }
    /// <summary>With <see cref="VerifyFirst"/>: files verified moments ago (verify --deep), not read a second time before the import.</summary>
    public IReadOnlySet<string> AlreadyVerified { get; init; } = new HashSet<string>();
    /// <summary>The caller has already checked the plan's target (<see cref="RestoreService.PlanAsync"/>).</summary>
    public bool TargetChecked { get; init; }
}

/// <param name="Warnings">Things that went wrong after the image was complete (e.g. a snapshot that could not be removed).</param>
public sealed record RestoreResult(ImageRef Image, long SizeBytes, int Files, TimeSpan Elapsed, IReadOnlyList<string> Warnings);

public enum RestorePhase { Verify, Import }

/// <summary>Reported as bytes flow; the caller decides how often to show it.</summary>
/// <param name="FileIndex">0-based index into the plan's files.</param>
public sealed record RestoreProgress(RestorePhase Phase, int FileIndex, int FileCount, string File, long Bytes, long FileBytes);

/// <summary>The result of checking one file against its recorded size and checksum.</summary>
/// <param name="Verified">True when the sha256 was compared and matched.</param>
/// <param name="Problem">Null when the file is usable.</param>
public sealed record FileCheck(RestoreFile File, bool Verified, string? Problem);
