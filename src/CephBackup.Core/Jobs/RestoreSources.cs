using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Jobs;

public sealed record CatalogRestoreRequest
{
    public required string Job { get; init; }
    /// <summary>The <c>vms.image</c> value (image or pool/image).</summary>
    public required string Image { get; init; }
    public required string RestorePoint { get; init; }
    public required string NewName { get; init; }
    /// <summary>Target pool; null = the source image's pool.</summary>
    public string? Pool { get; init; }
    public bool ForceUnverified { get; init; }
}

/// <summary>
/// Turns a restore request into a <see cref="RestorePlan"/>: from the catalog, or from the sidecars in a
/// chain folder when the database is gone. Only reads; a refused request has touched nothing.
/// </summary>
public static class RestoreSources
{
    public static async Task<RestorePlan> FromCatalogAsync(ICatalog catalog, CephOptions ceph, CatalogRestoreRequest req, CancellationToken ct)
    {
        var rp = RestorePoint.Parse(req.RestorePoint);
        Names.RequireValid(req.NewName, "image");
        var job = await catalog.GetJobByNameAsync(req.Job, ct)
            ?? throw Invalid($"unknown job '{Names.Printable(req.Job)}'");
        var links = await catalog.GetJobImagesAsync(job.Id, ct);
        var points = (await catalog.GetPointsAsync(job.Id, null, req.Image, ct))
            .Where(p => p.Status is PointStatus.Ok or PointStatus.Unverified)
            .ToList();
        var link = links.FirstOrDefault(l => l.Image == req.Image);
        if (link is null && points.Count == 0)
            throw Invalid($"job {job.Name} has no image '{Names.Printable(req.Image)}' (use the vms.image value, see 'cephbackup list VM')");

        // A chain belongs to (job, image), whatever VM name its points were recorded under (a renamed VM).
        var chain = points.Where(p => p.Chain == rp.Chain).ToList();
        var target = chain.FirstOrDefault(p => p.Point == rp.Point)
            ?? throw Invalid($"no restore point {rp} of {link?.Vm ?? "?"}/{req.Image} in job {job.Name} (see 'cephbackup list {link?.Vm ?? "VM"}')");
        var vm = target.Vm;
        var sequence = BackupPlanner.RestoreSequence(chain, target);

        if (!req.ForceUnverified)
        {
            var weak = sequence.FirstOrDefault(p => p.Status == PointStatus.Unverified || p.Sha256 is null);
            if (weak is not null)
                throw Invalid($"restore point {rp} needs {weak.RestorePoint}, which is unverified (its checksum was not recorded when it was written): " +
                              "add --force-unverified to restore it anyway");
        }

        foreach (var p in sequence)
            if (OutsideJobFolder(job, p.FilePath) is { } outside) throw new CephBackupException(ExitCode.VerificationFailed, outside);

        var pool = TargetPool(req, ceph);
        Names.RequireValid(pool, "pool");
        var files = sequence.Select(p => new RestoreFile(p.RestorePoint, p.Type, p.FilePath, p.SizeBytes, p.Sha256, p.Snapshot)).ToList();
        return new RestorePlan($"job {job.Name}, {vm}/{req.Image}", rp.ToString(), new ImageRef(pool, req.NewName),
            SizeOr(target.ImageSizeBytes, target.FilePath), files);
    }

    /// <summary>
    /// The image <see cref="FromCatalogAsync"/> will restore into, known before the catalog is read; null
    /// when a name is invalid (the planner refuses it, in its own order of checks).
    /// </summary>
    public static ImageRef? TargetOf(CatalogRestoreRequest req, CephOptions ceph)
    {
        if (!Names.IsValid(req.NewName) || (req.Pool is not null && !Names.IsValid(req.Pool))) return null;
        try { return new ImageRef(TargetPool(req, ceph), req.NewName); }
        catch (CephBackupException) { return null; }
    }

    /// <summary>The pool a catalog restore writes to: --pool, else the source image's (ImageRef.Parse validates it).</summary>
    private static string TargetPool(CatalogRestoreRequest req, CephOptions ceph) => req.Pool ?? ImageRef.Parse(req.Image, ceph.Pool).Pool;

    /// <summary>
    /// Plans from <c>&lt;point&gt;.json</c> / <c>&lt;point&gt;.sha256</c> alone. <paramref name="folder"/> is the chain
    /// folder, or the image folder that contains it.
    /// </summary>
    public static RestorePlan FromDirectory(string folder, string restorePoint, string newName, string pool)
    {
        var rp = RestorePoint.Parse(restorePoint);
        Names.RequireValid(newName, "image");
        Names.RequireValid(pool, "pool");
        var chainName = BackupLayout.ChainDirName(rp.Chain);
        var full = Path.GetFullPath(folder);
        var dir = Path.GetFileName(full.TrimEnd('/')) == chainName ? full
            : Directory.Exists(Path.Combine(full, chainName)) ? Path.Combine(full, chainName)
            : throw Invalid(Directory.Exists(full)
                ? $"{full} is neither chain folder {chainName} nor an image folder containing it"
                : $"folder {full} does not exist");

        var targetFile = Path.Combine(dir, BackupLayout.PointFileName(rp.Point));
        if (PointCodecs.Find(targetFile) is null) throw Invalid($"no restore point {rp} in {dir} (file {targetFile} does not exist)");
        var known = new List<BackupPoint>();
        for (var i = 0; i <= rp.Point; i++)
            if (FromSidecars(Path.Combine(dir, BackupLayout.PointFileName(i)), rp.Chain, i) is { } p) known.Add(p);
        var target = known.FirstOrDefault(p => p.Point == rp.Point)
            ?? throw Invalid($"restore point {rp} in {dir} has no usable sidecars ({Path.GetFileName(targetFile)}.json and .sha256): " +
                             "it cannot be restored without the catalog");
        IReadOnlyList<BackupPoint> sequence;
        try { sequence = BackupPlanner.RestoreSequence(known, target); }
        catch (CephBackupException e)
        {
            throw new CephBackupException(ExitCode.VerificationFailed,
                $"{e.Message.Replace("not in the catalog", "missing or has no usable sidecars", StringComparison.Ordinal)} (folder {dir})");
        }
        var files = sequence.Select(p => new RestoreFile(p.RestorePoint, p.Type, p.FilePath, p.SizeBytes, p.Sha256, p.Snapshot)).ToList();
        return new RestorePlan($"folder {dir}", rp.ToString(), new ImageRef(pool, newName), SizeOr(target.ImageSizeBytes, target.FilePath), files);
    }

    /// <summary>A point from its sidecars, or null when they are absent, unreadable, disagree or describe another point.</summary>
    private static BackupPoint? FromSidecars(string file, int chain, int point)
    {
        if (PointCodecs.Find(file) is null) return null;
        var meta = PointFiles.ReadSidecar(file);
        var sha = PointFiles.ReadSha(file);
        if (meta is null || sha is null) return null;
        if (meta.Sha256 != sha)
            throw new CephBackupException(ExitCode.VerificationFailed,
                $"{file}: the checksums in {Path.GetFileName(file)}.json and {Path.GetFileName(file)}.sha256 differ; refusing to trust either");
        if (meta.Chain != chain || meta.Point != point) return null;
        PointType type;
        try { type = PointTypes.FromDb(meta.Type); }
        catch (FormatException) { return null; }
        return new BackupPoint
        {
            JobName = meta.Job, Vm = meta.Vm, Image = meta.Image, Chain = chain, Point = point, Type = type,
            BasePoint = meta.BasePoint, Snapshot = meta.Snapshot, FilePath = file, SizeBytes = meta.SizeBytes,
            ImageSizeBytes = meta.ImageSizeBytes, Sha256 = sha, StartedAt = meta.StartedAt, EndedAt = meta.EndedAt,
        };
    }

    /// <summary>
    /// Why a catalog <c>file_path</c> must not be read, or null: anyone who can write the catalog could
    /// otherwise make restore or verify read (and rbd import) any file on the host.
    /// </summary>
    public static string? OutsideJobFolder(BackupJob job, string filePath)
    {
        string root;
        try { root = BackupLayout.For(job.Path, job.Name).JobRoot; }
        catch (CephBackupException e) { return $"job {Names.Printable(job.Name)}: {e.Message}"; }
        var full = Path.IsPathRooted(filePath) ? Path.GetFullPath(filePath) : null;
        return full is not null && full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? null
            : $"the catalog's file path '{Names.Printable(filePath)}' is outside the job's folder {root}: refused";
    }

    /// <summary>The recorded image size, or (points imported without it) the size in the diff's own header.</summary>
    internal static long SizeOr(long recorded, string file)
    {
        if (recorded > 0) return recorded;
        try
        {
            var codec = PointCodecs.Find(file) ?? throw new FileNotFoundException($"file {file} is missing");
            using var fs = codec.OpenDiffStream(File.OpenRead(codec.StoredPath(file)));
            var head = new byte[64 * 1024];
            var n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (DiffHeader.TryParse(head.AsSpan(0, n), out var h) && h!.ImageSize > 0) return h.ImageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new CephBackupException(ExitCode.VerificationFailed, $"{file}: cannot read the image size from the diff header: {e.Message}");
        }
        throw new CephBackupException(ExitCode.VerificationFailed, $"{file}: no image size recorded and none in the diff header");
    }

    private static CephBackupException Invalid(string message) => new(ExitCode.InvalidInput, message);
}
