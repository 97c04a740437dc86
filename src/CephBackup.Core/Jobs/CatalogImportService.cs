using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

public sealed record ImportRequest
{
    /// <summary>Only this job (by name); null = every job, enabled or not.</summary>
    public string? JobName { get; init; }
}

/// <summary>A point file that was found but not imported, and why.</summary>
public sealed record SkippedPoint(string RestorePoint, string Reason);

public sealed record ImageImportResult
{
    public required string Job { get; init; }
    public required string Vm { get; init; }
    public required string Image { get; init; }
    public int Imported { get; init; }
    public int AlreadyKnown { get; init; }
    public IReadOnlyList<SkippedPoint> Skipped { get; init; } = [];
    /// <summary>What could not be read (folder or file): the outcome is a partial failure.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
}

/// <summary>A job that was not scanned at all (bad configuration, running right now).</summary>
public sealed record JobImportProblem(string Job, string Problem);

public sealed record ImportOutcome(IReadOnlyList<ImageImportResult> Images, IReadOnlyList<JobImportProblem> Jobs)
{
    /// <summary>Skipped files are reported, not failures: only what could not be looked at is.</summary>
    public ExitCode ExitCode => Jobs.Count > 0 || Images.Any(i => i.Errors.Count > 0) ? ExitCode.PartialFailure : ExitCode.Ok;
}

/// <summary>
/// <c>cephbackup catalog import</c>: records the points found in the job folders that the catalog lacks
/// (PHP-era files as <c>unverified</c>, exec-written files with intact sidecars as <c>ok</c>). Files are
/// only read, never written: the backup target may be immutable (chattr +i), so no sidecars are added.
/// Each job is scanned under its job lock, so a running exec cannot be racing us for the same point.
/// </summary>
public sealed class CatalogImportService(ICatalog catalog, IJobLockProvider locks, TimeProvider time, HostIdentity host, ILogger log)
{
    public async Task<ImportOutcome> RunAsync(ImportRequest req, CancellationToken ct)
    {
        var jobs = await catalog.GetJobsAsync(enabledOnly: false, ct);
        if (req.JobName is not null)
        {
            jobs = jobs.Where(j => j.Name == req.JobName).ToList();
            if (jobs.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(req.JobName)}'");
        }
        var images = new List<ImageImportResult>();
        var problems = new List<JobImportProblem>();
        foreach (var row in jobs)
        {
            ct.ThrowIfCancellationRequested();
            var name = Names.IsValid(row.Name) ? row.Name! : $"job {row.Id}";
            JobSettings job;
            try { job = JobSettings.From(row); }
            catch (CephBackupException e) { problems.Add(new(name, e.Message)); continue; }

            await using var held = await locks.TryAcquireAsync(job.Id, host.Host, host.Pid, time.GetUtcNow().UtcDateTime, ct);
            if (held is null)
            {
                var h = await locks.GetHolderAsync(job.Id, ct);
                problems.Add(new(name, $"job is running ({(h is null ? "lock held" : $"host {h.Host} pid {h.Pid}")}): not scanned"));
                continue;
            }
            foreach (var link in await catalog.GetJobImagesAsync(job.Id, ct))
                images.Add(await ImportImageAsync(job, link, ct));
        }
        return new ImportOutcome(images, problems);
    }

    private async Task<ImageImportResult> ImportImageAsync(JobSettings job, JobImage link, CancellationToken ct)
    {
        var vm = link.Vm ?? "";
        var image = link.Image ?? "";
        var result = new ImageImportResult { Job = job.Name, Vm = vm, Image = image };
        string imageDir;
        IReadOnlyList<int> chains;
        try
        {
            imageDir = job.Layout.ImageDir(vm, image);
            chains = BackupLayout.ChainsOnDisk(imageDir);
        }
        catch (Exception e) when (e is CephBackupException or IOException or UnauthorizedAccessException)
        {
            return result with { Errors = [e.Message] };
        }

        var known = (await catalog.GetPointsAsync(job.Id, null, image, ct)).ToLookup(p => p.Chain);
        int imported = 0, alreadyKnown = 0;
        var skipped = new List<SkippedPoint>();
        var errors = new List<string>();
        foreach (var chain in chains)
        {
            var knownHere = known[chain].ToDictionary(p => p.Point);
            // Only points that restore count as bases; a 'deleting' one is on its way out.
            var available = knownHere.Values.Where(p => p.Status is PointStatus.Ok or PointStatus.Unverified).Select(p => p.Point).ToHashSet();
            IReadOnlyList<int> points;
            try { points = PointsOnDisk(Path.Combine(imageDir, BackupLayout.ChainDirName(chain))); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { errors.Add(e.Message); continue; }
            foreach (var point in points)
            {
                ct.ThrowIfCancellationRequested();
                var rp = new RestorePoint(chain, point).ToString();
                if (knownHere.ContainsKey(point)) { alreadyKnown++; continue; }
                if (chain == 0) { skipped.Add(new(rp, "chain folder 000000 is never made by a backup (chains start at 000001)")); continue; }
                try
                {
                    var (candidate, problem) = await ExamineAsync(job, link, vm, image, chain, point, ct);
                    problem ??= ImportClassifier.MissingBase(new PointShape(candidate!.Type, candidate.BasePoint), available);
                    if (problem is not null)
                    {
                        log.Warning("catalog import: {Job} {Vm}/{Image} {Point} not imported: {Reason}", job.Name, vm, image, rp, problem);
                        skipped.Add(new(rp, problem));
                    }
                    else if (await catalog.ImportPointAsync(candidate!, ct))
                    {
                        imported++;
                        available.Add(point);
                        log.Information("catalog import: {Job} {Vm}/{Image} {Point} imported as {Status}", job.Name, vm, image, rp, candidate!.Status);
                    }
                    else alreadyKnown++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add($"{rp}: cannot read: {e.Message}");
                }
            }
        }
        return result with { Imported = imported, AlreadyKnown = alreadyKnown, Skipped = skipped, Errors = errors };
    }

    // NNNNNN (plain) and NNNNNN.zst (compressed by this tool) are points; every other name is not.
    private static IReadOnlyList<int> PointsOnDisk(string chainDir) =>
        Directory.EnumerateFiles(chainDir)
            .Select(Path.GetFileName)
            .Select(n => n is not null && n.EndsWith(ZstdPointCodec.Extension, StringComparison.Ordinal) ? n[..^ZstdPointCodec.Extension.Length] : n)
            .Where(n => n is not null && ImportClassifier.IsPointFileName(n))
            .Select(n => int.Parse(n!))
            .Distinct()
            .Order()
            .ToList();

    /// <returns>The point to record, or why the file is not one.</returns>
    private static async Task<(BackupPoint?, string?)> ExamineAsync(JobSettings job, JobImage link, string vm, string image,
        int chain, int point, CancellationToken ct)
    {
        var file = job.Layout.PointFile(vm, image, chain, point);
        var codec = PointCodecs.Find(file) ?? throw new FileNotFoundException($"point file {file} vanished");
        var stored = codec.StoredPath(file);
        var template = new BackupPoint
        {
            JobId = job.Id, JobName = job.Name, LinkId = link.LinkId, Vm = vm, Image = image, Chain = chain, Point = point,
            Snapshot = "", FilePath = file, SizeBytes = new FileInfo(stored).Length, Format = codec.Format.ToDb(),
        };
        if (codec.Format != PointFormat.Plain && !File.Exists(PointFiles.JsonFile(file)))
            return (null, $"{Path.GetFileName(stored)} has no sidecar {Path.GetFileName(PointFiles.JsonFile(file))}: only compressed points written by this tool are imported");
        if (File.Exists(PointFiles.JsonFile(file)) || File.Exists(PointFiles.ShaFile(file)))
        {
            var meta = PointFiles.ReadSidecar(file);
            var recorded = PointFiles.ReadSha(file);
            var c = ImportClassifier.FromSidecar(meta, recorded, job.Name, vm, image, chain, point);
            if (c.Shape is null) return (null, c.Problem);
            if ((meta!.Format ?? PointFormat.Plain.ToDb()) != codec.Format.ToDb())
                return (null, $"sidecar says format {meta.Format ?? "plain"}, the stored file is {Path.GetFileName(stored)}");
            var actual = await PointFiles.Sha256OfFileAsync(stored, ct);
            if (actual != recorded) return (null, $"corrupt: the file's sha256 {actual} is not the recorded {recorded}");
            var plain = codec.Format == PointFormat.Plain;
            return (template with
            {
                Type = c.Shape.Type, BasePoint = c.Shape.BasePoint, Snapshot = meta.Snapshot, ImageSizeBytes = meta.ImageSizeBytes,
                Sha256 = actual, Status = PointStatus.Ok, StartedAt = Utc(meta.StartedAt), EndedAt = Utc(meta.EndedAt),
                StreamSizeBytes = meta.StreamSizeBytes ?? (plain ? template.SizeBytes : null), StreamSha256 = meta.StreamSha256 ?? (plain ? actual : null),
            }, null);
        }

        var check = DiffFile.Check(file);
        if (check.Problem is not null) return (null, check.Problem);
        var shape = ImportClassifier.FromHeader(job.Prefix, chain, point, check.Header!);
        if (shape.Shape is null) return (null, shape.Problem);
        var mtime = File.GetLastWriteTimeUtc(file);
        var sha = await PointFiles.Sha256OfFileAsync(file, ct);
        return (template with
        {
            Type = shape.Shape.Type, BasePoint = shape.Shape.BasePoint, Snapshot = check.Header!.ToSnap!,
            ImageSizeBytes = check.Header.ImageSize, Sha256 = sha, StreamSizeBytes = template.SizeBytes, StreamSha256 = sha,
            Status = PointStatus.Unverified, StartedAt = mtime, EndedAt = mtime,
        }, null);
    }

    private static DateTime Utc(DateTime d) => d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : DateTime.SpecifyKind(d, DateTimeKind.Utc);
}
