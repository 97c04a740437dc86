using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;

namespace CephBackup.Core.Jobs;

public sealed record ListRequest
{
    public required string Vm { get; init; }
    /// <summary>Only points of this job (by name).</summary>
    public string? Job { get; init; }
    /// <summary>Only points of this image (the <c>vms.image</c> value).</summary>
    public string? Image { get; init; }
}

/// <summary>
/// <c>cephbackup list VM</c>: the restore points of every disk of a VM, from the catalog only. The catalog
/// records a point after its file is complete and checked, so failed and partial files never appear; the
/// folders are not scanned (PHP-era files become visible through <c>catalog import</c>).
/// </summary>
public sealed class ListService(ICatalog catalog)
{
    /// <returns>Restorable points sorted by image, then time; empty when the VM has none (yet).</returns>
    /// <exception cref="CephBackupException">InvalidInput: unknown VM, or a filter naming a job or image the VM does not have.</exception>
    public async Task<IReadOnlyList<BackupPoint>> ListAsync(ListRequest req, CancellationToken ct)
    {
        var links = await catalog.GetImagesOfVmAsync(req.Vm, ct);
        // A chain belongs to (job, image): after a VM rename the image's earlier points, recorded under the old
        // name, are listed with the VM that has the image now.
        var byImage = new List<BackupPoint>();
        foreach (var link in links.DistinctBy(l => (l.JobId, l.Image)))
            if (link.Image is not null) byImage.AddRange(await catalog.GetPointsAsync(link.JobId, null, link.Image, ct));
        var points = (await catalog.GetPointsAsync(null, req.Vm, null, ct)).Concat(byImage)
            .DistinctBy(p => p.Id)
            .Where(p => p.Status != PointStatus.Deleting)
            .ToList();
        // A VM no job backs up any more still counts while the catalog holds points of it.
        if (links.Count == 0 && points.Count == 0)
            throw new CephBackupException(ExitCode.InvalidInput,
                $"unknown VM '{Names.Printable(req.Vm)}': no disk of it is in a backup job and the catalog has no restore points of it");

        if (req.Job is not null)
        {
            var jobIds = links.Select(l => l.JobId).ToHashSet();
            var known = points.Any(p => p.JobName == req.Job)
                        || (await catalog.GetJobsAsync(enabledOnly: false, ct)).Any(j => j.Name == req.Job && jobIds.Contains(j.Id));
            if (!known) throw new CephBackupException(ExitCode.InvalidInput, $"VM '{Names.Printable(req.Vm)}' is not in job '{Names.Printable(req.Job)}'");
            points = points.Where(p => p.JobName == req.Job).ToList();
        }
        if (req.Image is not null)
        {
            if (links.All(l => l.Image != req.Image) && points.All(p => p.Image != req.Image))
                throw new CephBackupException(ExitCode.InvalidInput, $"VM '{Names.Printable(req.Vm)}' has no image '{Names.Printable(req.Image)}'");
            points = points.Where(p => p.Image == req.Image).ToList();
        }
        return points
            .OrderBy(p => p.Image, StringComparer.Ordinal)
            .ThenBy(p => p.StartedAt)
            .ThenBy(p => p.JobName, StringComparer.Ordinal)
            .ThenBy(p => p.Chain).ThenBy(p => p.Point)
            .ToList();
    }
}
