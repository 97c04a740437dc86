using System.Security.Cryptography;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using Serilog;

namespace CephBackup.Core.Jobs;

public sealed record VerifyRequest
{
    public string? Job { get; init; }
    public string? Vm { get; init; }
    /// <summary>The <c>vms.image</c> value.</summary>
    public string? Image { get; init; }
    /// <summary>Only points that ended on or after this local day.</summary>
    public DateOnly? Since { get; init; }
    public bool Deep { get; init; }
}

/// <summary>One failure or note of a verify run, about one restore point.</summary>
public sealed record VerifyFinding(string Job, string Vm, string Image, string RestorePoint, string Message)
{
    public static VerifyFinding Of(BackupPoint p, string message) => new(p.JobName, p.Vm, p.Image, p.RestorePoint, message);
    public override string ToString() => $"{Job} {Vm}/{Image} {RestorePoint}: {Message}";
}

/// <param name="Skipped">Points without a recorded checksum: nothing to compare against.</param>
/// <param name="Failures">One line per failed point or deep restore.</param>
/// <param name="Notes">Things worth saying that are not failures (a deep comparison that could not be made).</param>
public sealed record VerifyOutcome(int Checked, int Ok, int Failed, int Skipped, int DeepRestored, int DeepCompared,
    IReadOnlyList<VerifyFinding> Failures, IReadOnlyList<VerifyFinding> Notes)
{
    public ExitCode ExitCode => Failed > 0 ? ExitCode.VerificationFailed : ExitCode.Ok;
}

/// <summary>
/// <c>cephbackup verify</c>: re-reads backup files against the catalog and, with --deep, restores the
/// newest point of each selected chain branch into a scratch image and compares it with the source snapshot.
/// </summary>
public sealed class VerifyService(ICatalog catalog, IRbd rbd, CephOptions ceph, TimeProvider time, ILogger log)
{
    private readonly RestoreService _restore = new(rbd, time, log);

    public async Task<VerifyOutcome> RunAsync(VerifyRequest req, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var jobs = (await catalog.GetJobsAsync(enabledOnly: false, ct)).ToDictionary(j => j.Id);
        int? jobId = null;
        if (req.Job is not null)
            jobId = jobs.Values.FirstOrDefault(j => j.Name == req.Job)?.Id
                ?? throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(req.Job)}'");
        var all = (await catalog.GetPointsAsync(jobId, req.Vm, req.Image, ct))
            .Where(p => p.Status is PointStatus.Ok or PointStatus.Unverified)
            .ToList();
        if (all.Count == 0) await RequireKnownSelectorsAsync(req, jobs.Values, ct);
        var since = req.Since is { } d
            ? TimeZoneInfo.ConvertTimeToUtc(d.ToDateTime(TimeOnly.MinValue), time.LocalTimeZone)
            : DateTime.MinValue;
        var selected = all.Where(p => p.EndedAt >= since).ToList();

        var failures = new List<VerifyFinding>();
        var notes = new List<VerifyFinding>();
        var fileOk = new Dictionary<long, BackupPoint>();
        var failedIds = new HashSet<long>();
        var skipped = 0;
        for (var i = 0; i < selected.Count; i++)
        {
            var p = selected[i];
            var index = i;
            var fileStarted = time.GetTimestamp();
            var check = jobs.TryGetValue(p.JobId, out var job) && RestoreSources.OutsideJobFolder(job, p.FilePath) is { } outside
                ? new FileCheck(ToFile(p), false, outside)
                : await RestoreService.CheckFileAsync(ToFile(p),
                    b => progress?.Report(new(RestorePhase.Verify, index, selected.Count, p.FilePath, b, p.SizeBytes)), ct);
            log.Information("Verify {Point} ({File}, {Bytes} bytes): {Result} in {Seconds:F1}s", Label(p), p.FilePath, p.SizeBytes,
                check.Problem ?? (check.Verified ? "ok" : "no checksum recorded, size ok"), time.GetElapsedTime(fileStarted).TotalSeconds);
            if (check.Problem is not null)
            {
                failures.Add(VerifyFinding.Of(p, check.Problem));
                failedIds.Add(p.Id);
            }
            else if (ChainProblem(all, p) is { } broken)
            {
                failures.Add(VerifyFinding.Of(p, broken));
                failedIds.Add(p.Id);
            }
            else if (!check.Verified)
            {
                skipped++;
                notes.Add(VerifyFinding.Of(p, "no checksum recorded, only existence and size were checked"));
            }
            else fileOk[p.Id] = p;
        }

        // Points that get verified_at: file ok, and not part of a deep restore that went wrong.
        var passed = new Dictionary<long, BackupPoint>(fileOk);
        int restored = 0, compared = 0;
        if (req.Deep)
        {
            var verifiedFiles = fileOk.Values.Select(p => p.FilePath).ToHashSet();
            foreach (var (leaf, sequence) in DeepTargets(all, selected))
            {
                if (sequence.FirstOrDefault(s => failedIds.Contains(s.Id) || !fileOk.ContainsKey(s.Id) && s.Sha256 is null) is { } broken)
                {
                    notes.Add(VerifyFinding.Of(leaf, $"deep restore skipped, it needs {broken.RestorePoint}, which failed or has no checksum"));
                    continue;
                }
                var result = await DeepAsync(leaf, sequence, verifiedFiles, progress, ct);
                if (result.Restored) restored++;
                if (result.Compared) compared++;
                if (result.Note is not null) notes.Add(VerifyFinding.Of(leaf, result.Note));
                if (result.Failure is null) continue;
                // The combination failed, so no file of it is vouched for; the leaf is the point reported.
                failures.Add(VerifyFinding.Of(leaf, result.Failure));
                failedIds.Add(leaf.Id);
                foreach (var s in sequence) passed.Remove(s.Id);
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        foreach (var p in passed.Values) await catalog.SetVerifiedAsync(p.Id, now, ct);
        var failed = selected.Count(p => failedIds.Contains(p.Id));
        var ok = selected.Count(p => fileOk.ContainsKey(p.Id) && !failedIds.Contains(p.Id));
        log.Information("Verify (job {Job}, vm {Vm}, image {Image}, since {Since}, deep {Deep}): {Checked} checked, {Ok} ok, {Failed} failed, {Skipped} skipped, " +
                        "deep {Restored} restored / {Compared} compared, in {Seconds:F1}s",
            req.Job ?? "*", req.Vm ?? "*", req.Image ?? "*", req.Since?.ToString("yyyy-MM-dd") ?? "-", req.Deep, selected.Count, ok, failed, skipped,
            restored, compared, time.GetElapsedTime(started).TotalSeconds);
        return new VerifyOutcome(selected.Count, ok, failed, skipped, restored, compared, failures, notes);
    }

    /// <summary>
    /// A selector that matches nothing is a typo unless the catalog knows it (a VM or image that simply has
    /// no points yet): the same exit 5 as <c>list</c> and <c>restore</c>.
    /// </summary>
    private async Task RequireKnownSelectorsAsync(VerifyRequest req, IEnumerable<BackupJob> jobs, CancellationToken ct)
    {
        var links = new List<JobImage>();
        foreach (var j in jobs) links.AddRange(await catalog.GetJobImagesAsync(j.Id, ct));
        var known = (await catalog.GetPointsAsync(null, null, null, ct)).Select(p => (p.Vm, p.Image))
            .Concat(links.Select(l => (Vm: l.Vm ?? "", Image: l.Image ?? ""))).ToList();
        if (req.Vm is not null && known.All(k => k.Vm != req.Vm))
            throw new CephBackupException(ExitCode.InvalidInput, $"unknown VM '{Names.Printable(req.Vm)}': no job has it and the catalog has no points of it");
        if (req.Image is not null && known.All(k => k.Image != req.Image))
            throw new CephBackupException(ExitCode.InvalidInput, $"unknown image '{Names.Printable(req.Image)}' (use the vms.image value, see 'cephbackup list')");
    }

    /// <summary>
    /// The selected points no other selected point of the same chain builds on, each with its restore sequence:
    /// for an incremental chain the newest point (its sequence covers every file), for a differential chain
    /// every differential (each is imported once, on top of the full).
    /// </summary>
    internal static IEnumerable<(BackupPoint Leaf, IReadOnlyList<BackupPoint> Sequence)> DeepTargets(
        IReadOnlyList<BackupPoint> all, IReadOnlyList<BackupPoint> selected)
    {
        foreach (var chain in selected.GroupBy(p => (p.JobId, p.Vm, p.Image, p.Chain)))
        {
            var chainAll = all.Where(p => (p.JobId, p.Vm, p.Image, p.Chain) == chain.Key).ToList();
            var bases = chain.Select(p => p.BasePoint ?? (p.Type == PointType.Full ? -1 : p.Point - 1)).ToHashSet();
            // A leaf whose chain is broken was already reported by the file pass (ChainProblem).
            foreach (var leaf in chain.Where(p => !bases.Contains(p.Point)).OrderBy(p => p.Point))
                if (ChainProblem(chainAll, leaf) is null) yield return (leaf, BackupPlanner.RestoreSequence(chainAll, leaf));
        }
    }

    /// <summary>Why the point cannot be restored from the catalog's points (a base missing), or null.</summary>
    private static string? ChainProblem(IReadOnlyList<BackupPoint> all, BackupPoint p)
    {
        try
        {
            BackupPlanner.RestoreSequence(all.Where(q => (q.JobId, q.Vm, q.Image) == (p.JobId, p.Vm, p.Image)).ToList(), p);
            return null;
        }
        catch (CephBackupException e) { return e.Message; }
    }

    private sealed record DeepResult(bool Restored, bool Compared, string? Failure, string? Note);

    private async Task<DeepResult> DeepAsync(BackupPoint leaf, IReadOnlyList<BackupPoint> sequence, IReadOnlySet<string> verified,
        IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        ImageRef source;
        try { source = ImageRef.Parse(leaf.Image, ceph.Pool); }
        catch (CephBackupException e) { return new(false, false, $"deep restore impossible: {e.Message}", null); }
        var scratch = new ImageRef(source.Pool, ScratchName(source.Name));
        DeepResult result;
        try
        {
            var plan = new RestorePlan($"verify {Label(leaf)}", leaf.RestorePoint, scratch,
                RestoreSources.SizeOr(leaf.ImageSizeBytes, leaf.FilePath), sequence.Select(ToFile).ToList());
            // CheckTargetAsync inside refuses an existing scratch name, so the cleanup below only ever removes ours.
            await _restore.RestoreAsync(plan, new RestoreOptions { AlreadyVerified = verified }, progress, ct);
            result = await CompareAsync(leaf, source, scratch, ct);
        }
        catch (CephBackupException e) when (e.Code is not (ExitCode.CleanupIncomplete or ExitCode.InvalidInput))
        {
            return new(false, false, $"deep restore failed: {e.Message}", null);
        }
        catch (CephBackupException e) when (e.Code == ExitCode.InvalidInput)
        {
            return new(false, false, $"deep restore impossible: {e.Message}", null);
        }
        catch (OperationCanceledException e) when (e is not CancelledException)
        {
            // Cancelled while comparing: the scratch image is complete but still ours to remove.
            var c = await _restore.RemoveOwnImageAsync(scratch, "verify scratch image");
            if (!c.Removed) throw new CephBackupException(ExitCode.CleanupIncomplete, $"verify was cancelled; {c.Message}", e);
            throw new CancelledException($"verify was cancelled; {c.Message}", e);
        }
        var cleanup = await _restore.RemoveOwnImageAsync(scratch, "verify scratch image");
        if (!cleanup.Removed) return result with { Note = (result.Note is null ? "" : result.Note + "; ") + cleanup.Message };
        return result;
    }

    private async Task<DeepResult> CompareAsync(BackupPoint leaf, ImageRef source, ImageRef scratch, CancellationToken ct)
    {
        if (!await SnapshotExistsAsync(source, leaf.Snapshot, ct))
            return new(true, false, null, $"restored fine; not compared, snapshot {source.At(leaf.Snapshot)} no longer exists");
        var restored = await Sha256OfExportAsync(scratch, null, ct);
        var original = await Sha256OfExportAsync(source, leaf.Snapshot, ct);
        return restored == original
            ? new(true, true, null, null)
            : new(true, true, $"deep restore differs from {source.At(leaf.Snapshot)} (sha256 {restored} vs {original})", null);
    }

    private async Task<bool> SnapshotExistsAsync(ImageRef image, string snapshot, CancellationToken ct)
    {
        try { return (await rbd.SnapListAsync(image, ct)).Any(s => s.Name == snapshot); }
        catch (RbdException e) when (e.IsNotFound) { return false; }
    }

    private async Task<string> Sha256OfExportAsync(ImageRef image, string? snapshot, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var sink = new HashSink(sha);
        await rbd.ExportAsync(image, snapshot, sink, ct);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary><c>&lt;image&gt;-verify-&lt;random&gt;</c>, shortened so it stays a valid name.</summary>
    internal static string ScratchName(string image)
    {
        var suffix = "-verify-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        return (image.Length + suffix.Length > 128 ? image[..(128 - suffix.Length)] : image) + suffix;
    }

    private static RestoreFile ToFile(BackupPoint p) => new(p.RestorePoint, p.Type, p.FilePath, p.SizeBytes, p.Sha256, p.Snapshot);

    private static string Label(BackupPoint p) => $"{p.JobName} {p.Vm}/{p.Image} {p.RestorePoint}";

    /// <summary>A write-only stream that only feeds a hash.</summary>
    private sealed class HashSink(IncrementalHash sha) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => sha.AppendData(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => sha.AppendData(buffer);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            sha.AppendData(buffer.Span);
            return ValueTask.CompletedTask;
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        {
            sha.AppendData(buffer, offset, count);
            return Task.CompletedTask;
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
