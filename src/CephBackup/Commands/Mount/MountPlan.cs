using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;

namespace CephBackup.Commands.Mount;

/// <summary>The chain of a restore point, planned exactly as restore plans it (catalog, or sidecars with --from-dir).</summary>
public static class MountPlan
{
    // RestoreSources plans an import into a new image; mount and --to-file create none, so the name is a placeholder.
    private const string NoImage = "cephbackup-mount";

    public static async Task<RestorePlan> ResolveAsync(AppServices app, string? job, string? image, string restorePoint,
        string? fromDir, bool forceUnverified, CancellationToken ct)
    {
        // The --from-dir form must work with the database down: it reads sidecars and never touches app.Catalog.
        if (fromDir is not null)
            return RestoreSources.FromDirectory(fromDir, restorePoint, NoImage, app.Config.Ceph.Pool);
        await app.RequireMigratedAsync(ct);
        return await RestoreSources.FromCatalogAsync(app.Catalog, app.Config.Ceph, new CatalogRestoreRequest
        {
            Job = job!, Image = image!, RestorePoint = restorePoint, NewName = NoImage, ForceUnverified = forceUnverified,
        }, ct);
    }

    /// <summary>Job and image of a plan for names: as given, else from the target point's sidecar.</summary>
    public static (string Job, string Image) Names(RestorePlan plan, string? job, string? image)
    {
        if (job is not null && image is not null) return (job, image);
        var meta = PointFiles.ReadSidecar(plan.Files[^1].Path);
        return (meta?.Job ?? "dir", meta?.Image ?? Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(plan.Files[^1].Path))) ?? "image");
    }
}
