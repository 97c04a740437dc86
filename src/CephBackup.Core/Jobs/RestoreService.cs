using CephBackup.Core.Ceph;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>
/// The restore engine (restore, restore --from-dir, restore-vm, verify --deep). The target is checked first
/// (pool exists, name free), then each file is read once: its stored bytes are hashed while rbd imports them,
/// and the new image is removed again if any size or hash differs, so a restore never leaves an image built
/// from a corrupt file and never reports success on one. <see cref="RestoreOptions.VerifyFirst"/> keeps the
/// older order (check everything, then create).
/// </summary>
public sealed class RestoreService(IRbd rbd, TimeProvider time, ILogger log)
{
    private const int RbdExists = 17;
    private readonly ImageCleanup _cleanup = new(rbd, time, log);

    /// <summary>
    /// What a real run checks on Ceph before anything else: the pool exists and the new name is free.
    /// One <c>rbd ls</c> answers both (a missing pool is rbd exit 2).
    /// </summary>
    public async Task CheckTargetAsync(ImageRef target, CancellationToken ct)
    {
        IReadOnlyList<string> images;
        try { images = await rbd.ListImagesAsync(target.Pool, ct); }
        catch (RbdException e) when (e.IsNotFound)
        {
            throw new CephBackupException(ExitCode.InvalidInput, $"pool '{target.Pool}' does not exist (rbd: {e.Message}); nothing was created");
        }
        if (images.Contains(target.Name, StringComparer.Ordinal))
            throw new CephBackupException(ExitCode.InvalidInput, $"image {target} already exists: restore never overwrites, choose another name");
    }

    /// <summary>
    /// Runs <paramref name="plan"/> (the catalog reads) and the check of <paramref name="target"/> at the same
    /// time: the pool and the new name are known from the request, and the check's <c>rbd ls</c> is ~0.15 s of
    /// rbd start-up that would otherwise stand before the create. Errors keep the order of a sequential run:
    /// the plan's first, then the target's. A null target (a name the planner will refuse) runs the plan alone.
    /// </summary>
    /// <returns>The plan, and whether its target is the one that was checked.</returns>
    public async Task<(RestorePlan Plan, bool TargetChecked)> PlanAsync(ImageRef? target, Func<Task<RestorePlan>> plan, CancellationToken ct)
    {
        if (target is null) return (await plan(), false);
        using var stopCheck = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var check = CheckTargetAsync(target, stopCheck.Token);
        RestorePlan p;
        try { p = await plan(); }
        catch
        {
            // The plan's error is the one to report, at once: a read-only `rbd ls` is stopped, not waited for
            // (with Ceph down too it would hang until its timeout).
            await stopCheck.CancelAsync();
            try { await check; } catch (Exception e) when (e is CephBackupException or OperationCanceledException) { }
            throw;
        }
        await check;
        return (p, p.Target == target);
    }

    /// <summary>Checks every file of the plan (all of them, not stopping at the first problem).</summary>
    public async Task<IReadOnlyList<FileCheck>> CheckFilesAsync(RestorePlan plan, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        var checks = new List<FileCheck>();
        for (var i = 0; i < plan.Files.Count; i++)
        {
            var f = plan.Files[i];
            var index = i;
            checks.Add(await CheckFileAsync(f, b => progress?.Report(new(RestorePhase.Verify, index, plan.Files.Count, f.Path, b, f.SizeBytes)), ct));
        }
        return checks;
    }

    /// <summary>Existence, size, then sha256 (when one is recorded) of the stored bytes of one point.</summary>
    public static async Task<FileCheck> CheckFileAsync(RestoreFile f, Action<long>? onBytes, CancellationToken ct)
    {
        if (Stat(f) is { } problem) return new FileCheck(f, false, problem);
        if (f.Sha256 is null) return new FileCheck(f, false, null);
        var stored = PointCodecs.Find(f.Path)!.StoredPath(f.Path);
        try
        {
            await using var hashing = new HashingReadStream(OpenRead(stored), onBytes);
            await hashing.CopyToAsync(Stream.Null, 1 << 20, ct);
            var sha = hashing.CurrentSha256();
            return sha == f.Sha256
                ? new FileCheck(f, true, null)
                : new FileCheck(f, false, $"file {stored} does not match its recorded sha256 (recorded {f.Sha256}, now {sha})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new FileCheck(f, false, $"file {stored} cannot be read: {e.Message}");
        }
    }

    /// <summary>Existence and size of the stored file, without reading it; null when both are as recorded.</summary>
    public static string? Stat(RestoreFile f)
    {
        if (PointCodecs.Find(f.Path) is not { } codec) return $"file {f.Path} is missing";
        var stored = codec.StoredPath(f.Path);
        try
        {
            var length = new FileInfo(stored).Length;
            return length == f.SizeBytes ? null : $"file {stored} has {length} bytes, recorded {f.SizeBytes}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"file {stored} cannot be opened: {e.Message}";
        }
    }

    /// <summary>Creates <see cref="RestorePlan.Target"/> from the plan's files. Refuses an existing target or a missing pool.</summary>
    /// <exception cref="CephBackupException">With <see cref="ExitCode.CleanupIncomplete"/> when the half-made image could not be removed.</exception>
    public async Task<RestoreResult> RestoreAsync(RestorePlan plan, RestoreOptions options, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var target = plan.Target;
        if (!options.TargetChecked) await CheckTargetAsync(target, ct);
        await CheckBeforeCreateAsync(plan, options, progress, ct);

        log.Information("Restoring {Source} {RestorePoint} into {Target} ({Files} files, {Bytes} bytes)",
            plan.Source, plan.RestorePoint, target, plan.Files.Count, plan.TotalBytes);
        var step = "create";
        try { await rbd.CreateAsync(target, plan.ImageSizeBytes, ct); }
        catch (RbdException e) when (e.RbdExitCode == RbdExists)
        {
            // Someone else created it after our check: it is theirs, so it must not be removed.
            throw new CephBackupException(ExitCode.InvalidInput, $"image {target} already exists: restore never overwrites, choose another name", e);
        }
        catch (Exception e) when (e is CephBackupException or OperationCanceledException)
        {
            // A create that failed or was interrupted may still have made the image: Ctrl-C reaches the whole
            // process group, and rbd can die after the cluster answered. The name was free a moment ago, so
            // whatever stands there now is this restore's and goes.
            await FailAsync(plan, step, e, started);
            throw;
        }

        try
        {
            // Without --keep-snapshots rbd is given the diffs without their snapshot records (DiffSnapshotStripper):
            // `previous` carries the chain check rbd's from-snapshot lookup would have made.
            var previous = new ChainLink(options.KeepSnapshots, null);
            for (var i = 0; i < plan.Files.Count; i++)
            {
                var f = plan.Files[i];
                step = $"import-diff of {f.RestorePoint} ({f.Path}, file {i + 1}/{plan.Files.Count})";
                previous = await ImportAsync(target, f, i, plan.Files.Count, previous, progress, ct);
            }
        }
        catch (Exception e) when (e is CephBackupException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            await FailAsync(plan, step, e, started);
            throw;
        }

        var warnings = new List<string>();
        var elapsed = time.GetElapsedTime(started);
        log.Information("Restored {Source} {RestorePoint} into {Target}: ok, {Bytes} bytes in {Seconds:F1}s",
            plan.Source, plan.RestorePoint, target, plan.TotalBytes, elapsed.TotalSeconds);
        return new RestoreResult(target, plan.ImageSizeBytes, plan.Files.Count, elapsed, warnings);
    }

    private async Task CheckBeforeCreateAsync(RestorePlan plan, RestoreOptions options, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        // Without --verify-first only what costs no read: a missing or wrong-sized file is refused before
        // anything exists on Ceph; its content is checked on the way in.
        string? problem;
        if (options.VerifyFirst)
        {
            var toCheck = plan with { Files = plan.Files.Where(f => !options.AlreadyVerified.Contains(f.Path)).ToList() };
            problem = (await CheckFilesAsync(toCheck, progress, ct)).FirstOrDefault(c => c.Problem is not null)?.Problem;
        }
        else problem = plan.Files.Select(Stat).FirstOrDefault(p => p is not null);
        if (problem is not null)
            throw new CephBackupException(ExitCode.VerificationFailed, $"restore point {plan.RestorePoint} cannot be restored: {problem}; nothing was created");
    }

    /// <summary>
    /// Removes the half-made image and rethrows <paramref name="e"/> with the outcome in its message; a cleanup
    /// that could not finish replaces the error by <see cref="ExitCode.CleanupIncomplete"/>.
    /// </summary>
    private async Task FailAsync(RestorePlan plan, string step, Exception e, long started)
    {
        var cancelled = e is OperationCanceledException;
        log.Information("Restore of {RestorePoint} into {Target} {Outcome} at {Step}: removing the partial image",
            plan.RestorePoint, plan.Target, cancelled ? "cancelled" : "failed", step);
        var cleanup = await _cleanup.RemoveAsync(plan.Target, "partial image");
        var what = cancelled ? "cancelled" : $"failed: {e.Message}";
        log.Error("Restore of {Source} {RestorePoint} into {Target} {What} at {Step} after {Seconds:F1}s; {Cleanup}",
            plan.Source, plan.RestorePoint, plan.Target, what, step, time.GetElapsedTime(started).TotalSeconds, cleanup.Message);
        var message = $"restore of {plan.RestorePoint} into {plan.Target} {(cancelled ? "was cancelled" : "failed")} at {step}" +
                      $"{(cancelled ? "" : ": " + e.Message)}; {cleanup.Message}";
        if (!cleanup.Removed) throw new CephBackupException(ExitCode.CleanupIncomplete, message, e);
        if (cancelled) throw new CancelledException(message, e);
        var code = e switch { CephBackupException c => c.Code, _ => ExitCode.StorageError };
        throw new CephBackupException(code, message, e);
    }

    /// <param name="KeepSnapshots">rbd sees the snapshot records (and checks and creates the snapshots itself).</param>
    /// <param name="ToSnap">The snapshot the previous file ended at: where the next one must start.</param>
    private sealed record ChainLink(bool KeepSnapshots, string? ToSnap);

    private async Task<ChainLink> ImportAsync(ImageRef target, RestoreFile f, int index, int count, ChainLink previous,
        IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        var codec = PointCodecs.Find(f.Path)
            ?? throw new CephBackupException(ExitCode.VerificationFailed, $"file {f.Path} is missing");
        var stored = codec.StoredPath(f.Path);
        await using var hashing = new HashingReadStream(OpenRead(stored),
            b => progress?.Report(new(RestorePhase.Import, index, count, f.Path, b, f.SizeBytes)));
        await using var diff = codec.OpenDiffStream(hashing, leaveOpen: true);
        await using var stripped = previous.KeepSnapshots ? null : new DiffSnapshotStripper(diff, previous.ToSnap, stored);
        try { await rbd.ImportDiffAsync(target, stripped ?? diff, ct); }
        catch (InvalidDataException e)
        {
            // The codec found the stored file damaged (a zstd frame that does not decode, a bad seek table).
            throw new CephBackupException(ExitCode.VerificationFailed, $"file {stored} is damaged: {e.Message}", e);
        }
        catch (RbdException e) when (f.Sha256 is not null)
        {
            // rbd stops at the first bad record; the rest of the file decides whether it is the file (exit 6)
            // or Ceph (exit 14) that failed.
            await hashing.CopyToAsync(Stream.Null, 1 << 20, ct);
            if (hashing.CurrentSha256() != f.Sha256 || hashing.BytesRead != f.SizeBytes)
                throw new CephBackupException(ExitCode.VerificationFailed,
                    $"file {stored} does not match its recorded size and sha256 ({e.Message})", e);
            throw;
        }
        // rbd stops reading at the end record: whatever follows must be hashed too (a file with bytes
        // appended is not the file that was recorded).
        await hashing.CopyToAsync(Stream.Null, 1 << 20, ct);
        if (hashing.BytesRead != f.SizeBytes)
            throw new CephBackupException(ExitCode.VerificationFailed,
                $"file {stored} has {hashing.BytesRead} bytes, recorded {f.SizeBytes}");
        if (f.Sha256 is not null && hashing.CurrentSha256() is var sha && sha != f.Sha256)
            throw new CephBackupException(ExitCode.VerificationFailed,
                $"file {stored} does not match its recorded sha256 (recorded {f.Sha256}, imported {sha})");
        return previous with { ToSnap = stripped?.ToSnap };
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>Removes an image this process made (verify's scratch image, restore-vm's finished disks on a failure).</summary>
    public Task<CleanupResult> RemoveOwnImageAsync(ImageRef image, string what) => _cleanup.RemoveAsync(image, what);
}
