using CephBackup.Core.Ceph;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>
/// The restore engine (restore, restore --from-dir, verify --deep): checks every file against its
/// recorded checksum before anything is created, imports them in order while hashing the bytes rbd
/// reads, and removes the new image again on any failure, so a restore either yields the exact disk
/// or no image at all.
/// </summary>
public sealed class RestoreService(IRbd rbd, TimeProvider time, ILogger log)
{
    private const int RbdExists = 17;
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromMinutes(2);

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

    /// <summary>Existence, size, then sha256 (when one is recorded) of one file.</summary>
    public static async Task<FileCheck> CheckFileAsync(RestoreFile f, Action<long>? onBytes, CancellationToken ct)
    {
        FileStream fs;
        try
        {
            // The stored file: the plain point or its .zst (size and sha256 are recorded for the stored bytes).
            fs = new FileStream(PointCodecs.FindStored(f.Path) ?? f.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new FileCheck(f, false, $"file {f.Path} is missing");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FileCheck(f, false, $"file {f.Path} cannot be opened: {e.Message}");
        }
        await using var hashing = new HashingReadStream(fs, onBytes);
        if (fs.Length != f.SizeBytes)
            return new FileCheck(f, false, $"file {f.Path} has {fs.Length} bytes, recorded {f.SizeBytes}");
        if (f.Sha256 is null) return new FileCheck(f, false, null);
        try { await hashing.CopyToAsync(Stream.Null, 1 << 20, ct); }
        catch (IOException e) { return new FileCheck(f, false, $"file {f.Path} cannot be read: {e.Message}"); }
        var sha = hashing.CurrentSha256();
        return sha == f.Sha256
            ? new FileCheck(f, true, null)
            : new FileCheck(f, false, $"file {f.Path} does not match its recorded sha256 (recorded {f.Sha256}, now {sha})");
    }

    /// <summary>Creates <see cref="RestorePlan.Target"/> from the plan's files. Refuses an existing target.</summary>
    public async Task<RestoreResult> RestoreAsync(RestorePlan plan, RestoreOptions options, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var target = plan.Target;
        if (await rbd.ExistsAsync(target, ct))
            throw new CephBackupException(ExitCode.InvalidInput, $"image {target} already exists: restore never overwrites, choose another name");

        var toCheck = plan with { Files = plan.Files.Where(f => !options.AlreadyVerified.Contains(f.Path)).ToList() };
        var bad = (await CheckFilesAsync(toCheck, progress, ct)).FirstOrDefault(c => c.Problem is not null);
        if (bad is not null)
            throw new CephBackupException(ExitCode.VerificationFailed, $"restore point {plan.RestorePoint} cannot be restored: {bad.Problem}; nothing was created");

        log.Debug("Restoring {Source} {RestorePoint} into {Target} ({Files} files, {Bytes} bytes)",
            plan.Source, plan.RestorePoint, target, plan.Files.Count, plan.TotalBytes);
        var step = "create";
        try
        {
            await rbd.CreateAsync(target, plan.ImageSizeBytes, ct);
            for (var i = 0; i < plan.Files.Count; i++)
            {
                var f = plan.Files[i];
                step = $"import-diff of {f.RestorePoint} ({f.Path}, file {i + 1}/{plan.Files.Count})";
                await ImportAsync(target, f, i, plan.Files.Count, progress, ct);
            }
        }
        catch (RbdException e) when (step == "create" && e.RbdExitCode == RbdExists)
        {
            // Someone else created it after our check: it is theirs, so it must not be removed.
            throw new CephBackupException(ExitCode.InvalidInput, $"image {target} already exists: restore never overwrites, choose another name", e);
        }
        catch (Exception e) when (e is CephBackupException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            var cleanup = await RemoveAsync(target);
            log.Error("Restore of {RestorePoint} into {Target} failed at {Step}: {Error}; {Cleanup}", plan.RestorePoint, target, step, e.Message, cleanup);
            if (e is OperationCanceledException) throw;
            var code = e switch { CephBackupException c => c.Code, _ => ExitCode.StorageError };
            throw new CephBackupException(code, $"restore of {plan.RestorePoint} into {target} failed at {step}: {e.Message}; {cleanup}", e);
        }

        var warnings = new List<string>();
        if (!options.KeepSnapshots) await RemoveSnapshotsAsync(target, warnings);
        var elapsed = time.GetElapsedTime(started);
        log.Debug("Restored {RestorePoint} into {Target} in {Seconds:F1}s", plan.RestorePoint, target, elapsed.TotalSeconds);
        return new RestoreResult(target, plan.ImageSizeBytes, plan.Files.Count, elapsed, warnings);
    }

    private async Task ImportAsync(ImageRef target, RestoreFile f, int index, int count, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        var codec = PointCodecs.Find(f.Path) ?? throw new CephBackupException(ExitCode.VerificationFailed, $"file {f.Path} is missing");
        var fs = new FileStream(codec.StoredPath(f.Path), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var hashing = new HashingReadStream(fs, b => progress?.Report(new(RestorePhase.Import, index, count, f.Path, b, f.SizeBytes)));
        // The stored bytes are hashed as read; rbd gets the diff stream decoded from them.
        await using (var diff = codec.OpenDiffStream(hashing, leaveOpen: true))
            await rbd.ImportDiffAsync(target, diff, ct);
        // The bytes rbd consumed must be exactly the ones checked before: a file replaced or rewritten
        // in between would otherwise produce a plausible but wrong disk.
        if (!hashing.ReachedEnd || hashing.BytesRead != f.SizeBytes)
            throw new CephBackupException(ExitCode.VerificationFailed,
                $"only {hashing.BytesRead} of {f.SizeBytes} bytes were read (file changed or rbd stopped early)");
        if (f.Sha256 is not null && hashing.CurrentSha256() is var sha && sha != f.Sha256)
            throw new CephBackupException(ExitCode.VerificationFailed,
                $"the bytes imported do not match the recorded sha256 (recorded {f.Sha256}, imported {sha}): the file changed during the restore");
    }

    private async Task RemoveSnapshotsAsync(ImageRef target, List<string> warnings)
    {
        // The image is complete at this point; a Ctrl-C now must not turn it into a failed restore.
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            foreach (var s in await rbd.SnapListAsync(target, cts.Token))
                await rbd.SnapRemoveAsync(target, s.Name, cts.Token);
        }
        catch (Exception e) when (e is CephBackupException or OperationCanceledException)
        {
            var msg = $"could not remove the imported snapshots of {target} ({e.Message}); the image itself is complete";
            log.Warning("{Warning}", msg);
            warnings.Add(msg);
        }
    }

    /// <summary>Removes a half-made image; returns what happened, for the error message.</summary>
    private async Task<string> RemoveAsync(ImageRef target)
    {
        using var cts = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await rbd.RemoveAsync(target, cts.Token);
            return $"the partial image {target} was removed";
        }
        catch (Exception e) when (e is CephBackupException or OperationCanceledException)
        {
            return $"the partial image {target} could NOT be removed ({e.Message}): remove it by hand (rbd snap purge {target}; rbd rm {target}), its content is wrong";
        }
    }
}
