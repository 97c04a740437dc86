using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

public enum ChainDeletion { Deleted, KeptImmutable, Failed }

public sealed record ChainDeletionResult(ChainDeletion Result, long BytesFreed, string Detail);

/// <summary>
/// Deletes one chain folder and its catalog rows so that no state in between lies:
/// check that everything can be deleted, mark the points <c>deleting</c>, delete the point files newest
/// first, then the folder, then the rows. Newest first means that whatever an unexpected EPERM leaves
/// behind is a prefix of the chain, which still restores; those points get their status back, the rows
/// of the points whose files are gone are removed, and the chain is reported as failed.
/// A crash leaves points in <c>deleting</c>, which the next run finishes with the same procedure.
/// </summary>
internal sealed class ChainDeleter(ICatalog catalog, ILogger log)
{
    /// <summary>Tests only: skips the up-front check, to reproduce a lock set between the check and the deletion.</summary>
    internal bool SkipCheck { get; init; }

    /// <param name="points">Every catalog row of the chain (any status).</param>
    /// <param name="finishing">The points are already marked <c>deleting</c> by an interrupted run.</param>
    public async Task<ChainDeletionResult> DeleteAsync(string chainDir, IReadOnlyList<BackupPoint> points, bool finishing, CancellationToken ct)
    {
        var ids = points.Select(p => p.Id).ToList();
        if (Directory.Exists(chainDir) && !SkipCheck && FileFlags.WhyNotDeletable(chainDir) is { } why)
        {
            if (finishing) await RestoreRestorableAsync(chainDir, points, ct);
            return new(ChainDeletion.KeptImmutable, 0, why);
        }

        if (!finishing) await catalog.SetPointStatusAsync(ids, PointStatus.Deleting, ct);
        long freed = 0;
        try
        {
            foreach (var p in points.OrderByDescending(p => p.Point))
            {
                var file = Path.Combine(chainDir, BackupLayout.PointFileName(p.Point));
                // The data file first: once it is gone the point is gone, whatever happens to its sidecars.
                var zst = file + ZstdPointCodec.Extension;
                foreach (var f in new[] { file, zst, PointFiles.ShaFile(file), PointFiles.JsonFile(file), PointFiles.Partial(file), PointFiles.Partial(zst) })
                    freed += DeleteFile(f);
            }
            if (Directory.Exists(chainDir))
            {
                freed += Directory.EnumerateFiles(chainDir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
                Directory.Delete(chainDir, recursive: true);
                Posix.FsyncDirectory(Path.GetDirectoryName(chainDir)!);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error("Deleting chain {Chain} stopped: {Error}", chainDir, e.Message);
            var left = await RestoreRestorableAsync(chainDir, points, ct);
            return new(ChainDeletion.Failed, freed,
                $"deletion stopped ({e.Message}); {left} point(s) remain and stay listed, the newest deleted first so they still restore");
        }
        await catalog.DeletePointsAsync(ids, ct);
        return new(ChainDeletion.Deleted, freed, $"{points.Count} point(s) deleted");
    }

    private static long DeleteFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return 0;
        var size = info.Length;
        info.Delete();
        return size;
    }

    /// <summary>
    /// Points whose file is still there and whose whole restore sequence is still there stay listed (with their
    /// status from before, or 'unverified' when an interrupted run's marking erased it); the other rows go.
    /// </summary>
    private async Task<int> RestoreRestorableAsync(string chainDir, IReadOnlyList<BackupPoint> points, CancellationToken ct)
    {
        var present = points.Where(p => PointCodecs.Find(Path.Combine(chainDir, BackupLayout.PointFileName(p.Point))) is not null).ToList();
        var restorable = present.Where(p => Restorable(present, p)).ToList();
        foreach (var g in restorable.GroupBy(p => p.Status == PointStatus.Deleting ? PointStatus.Unverified : p.Status))
            await catalog.SetPointStatusAsync(g.Select(p => p.Id).ToList(), g.Key, ct);
        var gone = points.Except(restorable).Select(p => p.Id).ToList();
        await catalog.DeletePointsAsync(gone, ct);
        if (gone.Count > 0) log.Warning("Chain {Chain}: removed {Count} catalog row(s) of points that no longer restore", chainDir, gone.Count);
        return restorable.Count;
    }

    private static bool Restorable(IReadOnlyCollection<BackupPoint> present, BackupPoint p)
    {
        try { return BackupPlanner.RestoreSequence(present, p).All(present.Contains); }
        catch (CephBackupException) { return false; }
    }
}
