using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;

namespace CephBackup.Core.Jobs;

/// <summary>One disk image of a VM (a <c>vms</c> row) with the names of the jobs that back it up.</summary>
public sealed record VmImageView(int VmId, string Vm, string Image, IReadOnlyList<string> Jobs, int Points);

/// <summary>
/// <c>vm</c> verbs and <c>job attach/detach</c>: the <c>vms</c> and <c>backup_vms</c> rows. Names are checked as
/// exec checks them (<see cref="Names"/>, <see cref="ImageRef"/>) and against the PHP column widths.
/// </summary>
public sealed class VmAdminService(ICatalog catalog, ICatalogAdmin admin, IRbd rbd, CephOptions ceph)
{
    public async Task<IReadOnlyList<VmImageView>> ListAsync(string? vm, CancellationToken ct)
    {
        var jobs = (await catalog.GetJobsAsync(enabledOnly: false, ct)).ToDictionary(j => j.Id, j => j.Name ?? $"#{j.Id}");
        var views = new List<VmImageView>();
        foreach (var r in await admin.GetVmImagesAsync(vm, ct))
            views.Add(new VmImageView(r.VmId, r.Vm ?? "", r.Image ?? "",
                r.JobIds.Select(id => jobs.GetValueOrDefault(id, $"#{id}")).ToList(),
                await admin.CountPointsAsync(null, r.Vm, r.Image, ct)));
        return views;
    }

    public async Task<IReadOnlyList<VmImageView>> AddAsync(string vm, IReadOnlyList<string> images, bool checkCeph, CancellationToken ct)
    {
        RequireVmName(vm);
        if (images.Count == 0) throw JobAdminService.Invalid("at least one IMAGE is needed");
        if (images.Distinct(StringComparer.Ordinal).Count() != images.Count) throw JobAdminService.Invalid("an IMAGE is given twice");
        var refs = new List<ImageRef>();
        foreach (var image in images)
        {
            ImageRef r;
            try { r = ImageRef.Parse(image, ceph.Pool); }
            catch (CephBackupException e) { throw JobAdminService.Invalid(e.Message); }
            if (image.Length > 128 || image.Any(char.IsControl)) throw JobAdminService.Invalid($"invalid image name '{Names.Printable(image)}' (at most 128 characters, vms.image)");
            refs.Add(r);
        }
        var existing = await admin.GetVmImagesAsync(vm, ct);
        if (existing.FirstOrDefault(e => images.Contains(e.Image ?? "", StringComparer.Ordinal)) is { } dup)
            throw new CephBackupException(ExitCode.InvalidInput, $"VM '{vm}' already has image '{Names.Printable(dup.Image)}'");
        if (checkCeph)
            foreach (var r in refs)
                if (!await rbd.ExistsAsync(r, ct))
                    throw new CephBackupException(ExitCode.InvalidInput, $"image {r} does not exist on Ceph (--no-check adds it anyway)");
        await admin.AddVmImagesAsync(vm, images, ct);
        return await ListAsync(vm, ct);
    }

    /// <returns>The removed images.</returns>
    public async Task<IReadOnlyList<VmImageView>> RemoveAsync(string vm, IReadOnlyList<string> images, bool force, CancellationToken ct)
    {
        var rows = await RequireVmAsync(vm, ct);
        var unknown = images.Where(i => rows.All(r => r.Image != i)).ToList();
        if (unknown.Count > 0) throw new CephBackupException(ExitCode.InvalidInput, $"VM '{Names.Printable(vm)}' has no image '{Names.Printable(unknown[0])}'");
        var doomed = images.Count == 0 ? rows : rows.Where(r => images.Contains(r.Image)).ToList();
        var points = doomed.Sum(r => r.Points);
        if (points > 0 && !force)
            throw new CephBackupException(ExitCode.InvalidInput,
                $"VM '{vm}' has {points} restore point(s) on these images: not removed (--force removes the rows and keeps files and catalog points)");
        await admin.DeleteVmImagesAsync(doomed.Select(r => r.VmId).ToList(), ct);
        return doomed;
    }

    public async Task<IReadOnlyList<VmImageView>> AttachAsync(BackupJob job, string vm, CancellationToken ct)
    {
        var rows = await RequireVmAsync(vm, ct);
        var settings = JobSettings.From(job);
        var fresh = rows.Where(r => !r.Jobs.Contains(job.Name!)).ToList();
        if (fresh.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"VM '{vm}' is already in job '{job.Name}'");
        foreach (var r in fresh)
        {
            RequireVmName(r.Vm);
            ImageRef target;
            try { target = ImageRef.Parse(r.Image, ceph.Pool); }
            catch (CephBackupException e) { throw JobAdminService.Invalid(e.Message); }
            // exec refuses an image that two jobs snapshot under one prefix: refuse the link that would cause it.
            foreach (var other in await catalog.GetJobsAsync(enabledOnly: false, ct))
            {
                if (other.Id == job.Id || SnapshotNames.EffectivePrefix(other) != settings.Prefix) continue;
                foreach (var img in await catalog.GetJobImagesAsync(other.Id, ct))
                    if (img.Image is not null && SameImage(img.Image, target))
                        throw JobAdminService.Invalid($"image {target} is in job '{other.Name}' with the same snap-prefix {settings.Prefix}");
            }
        }
        await admin.AttachAsync(job.Id, fresh.Select(r => r.VmId).ToList(), ct);
        return fresh;
    }

    public async Task<IReadOnlyList<VmImageView>> DetachAsync(BackupJob job, string vm, CancellationToken ct)
    {
        var rows = (await RequireVmAsync(vm, ct)).Where(r => r.Jobs.Contains(job.Name!)).ToList();
        if (rows.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"VM '{Names.Printable(vm)}' is not in job '{job.Name}'");
        await admin.DetachAsync(job.Id, rows.Select(r => r.VmId).ToList(), ct);
        return rows;
    }

    private bool SameImage(string image, ImageRef target)
    {
        try { return ImageRef.Parse(image, ceph.Pool) == target; }
        catch (CephBackupException) { return false; }
    }

    private async Task<IReadOnlyList<VmImageView>> RequireVmAsync(string vm, CancellationToken ct)
    {
        var rows = await ListAsync(vm, ct);
        return rows.Count > 0 ? rows : throw new CephBackupException(ExitCode.InvalidInput, $"unknown VM '{Names.Printable(vm)}'");
    }

    private static void RequireVmName(string vm)
    {
        if (!Names.IsValid(vm) || vm.Any(char.IsControl) || vm.Length > 45)
            throw JobAdminService.Invalid($"invalid VM name '{Names.Printable(vm)}': 1-45 of A-Z a-z 0-9 . _ + : - (vms.vm), not starting with . or -");
    }
}
