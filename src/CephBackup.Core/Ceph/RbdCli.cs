using System.Globalization;

namespace CephBackup.Core.Ceph;

/// <summary><see cref="IRbd"/> by running the rbd CLI (argv list, never a shell).</summary>
public sealed class RbdCli(IProcessRunner runner, CephOptions options) : IRbd
{
    /// <summary>rbd's exit code for ETIMEDOUT; also what a killed, overdue rbd is reported as.</summary>
    public const int TimedOutExitCode = 110;
    private const int NotFound = 2;
    /// <summary>
    /// The pipe rbd import-diff reads (see <see cref="ImportDiffAsync"/>); "-" where a minimal container has
    /// no /dev/stdin, which is slower but works.
    /// </summary>
    internal static string StdinPath => File.Exists("/dev/stdin") ? "/dev/stdin" : "-";

    /// <summary>
    /// Deadline for metadata calls. librados gives up after TimeoutSeconds per op/mount; the extra
    /// margin covers a few sequential ops, and the process kill catches whatever librados does not.
    /// </summary>
    internal TimeSpan MetadataTimeout => TimeSpan.FromSeconds(options.TimeoutSeconds * 2 + 15);

    public async Task<RbdImageInfo?> InfoAsync(ImageRef image, CancellationToken ct)
    {
        var result = await RunAsync("info", ["info", "--format", "json", Spec(image)], ct, allowExit: NotFound);
        return result.ExitCode == NotFound ? null : RbdJson.ParseInfo(result.Stdout);
    }

    public async Task<bool> ExistsAsync(ImageRef image, CancellationToken ct) => await InfoAsync(image, ct) is not null;

    public async Task CreateAsync(ImageRef image, long sizeBytes, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sizeBytes);
        // A bare --size is MiB; the B suffix (accepted by rbd 16.2) keeps the exact byte count.
        await RunAsync("create", ["create", "--size", sizeBytes.ToString(CultureInfo.InvariantCulture) + "B", Spec(image)], ct);
    }

    public async Task RemoveAsync(ImageRef image, CancellationToken ct)
    {
        // Exit 2 on either step means the image is already gone, which is what the caller wanted.
        var purge = await RunAsync("snap purge", ["snap", "purge", "--no-progress", Spec(image)], ct, allowExit: NotFound);
        if (purge.ExitCode == NotFound) return;
        await RunAsync("rm", ["rm", "--no-progress", Spec(image)], ct, allowExit: NotFound, timeout: false);
    }

    public async Task<IReadOnlyList<string>> ListImagesAsync(string pool, CancellationToken ct)
    {
        Names.RequireValid(pool, "pool");
        var result = await RunAsync("ls", ["ls", "--format", "json", "-p", pool], ct);
        return RbdJson.ParseImageList(result.Stdout);
    }

    public async Task<IReadOnlyList<RbdLock>> LockListAsync(ImageRef image, CancellationToken ct)
    {
        var result = await RunAsync("lock ls", ["lock", "ls", "--format", "json", Spec(image)], ct);
        return RbdJson.ParseLocks(result.Stdout);
    }

    public async Task LockRemoveAsync(ImageRef image, RbdLock rbdLock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rbdLock);
        // Both come from rbd's own output, but they still become argv: a leading '-' would be read as an option.
        if (rbdLock.Id.StartsWith('-') || rbdLock.Locker.StartsWith('-') || rbdLock.Id.Length == 0 || rbdLock.Locker.Length == 0)
            throw new RbdException("lock rm", 22, $"refusing lock id '{Names.Printable(rbdLock.Id)}' / locker '{Names.Printable(rbdLock.Locker)}'");
        // Exit 2: the lock (or the image) is already gone.
        await RunAsync("lock rm", ["lock", "rm", Spec(image), rbdLock.Id, rbdLock.Locker], ct, allowExit: NotFound);
    }

    public async Task SnapCreateAsync(ImageRef image, string snapshot, CancellationToken ct) =>
        await RunAsync("snap create", ["snap", "create", "--no-progress", SnapSpec(image, snapshot)], ct);

    public async Task<IReadOnlyList<RbdSnapshot>> SnapListAsync(ImageRef image, CancellationToken ct)
    {
        var result = await RunAsync("snap ls", ["snap", "ls", "--format", "json", Spec(image)], ct);
        return RbdJson.ParseSnapshots(result.Stdout);
    }

    public async Task SnapRemoveAsync(ImageRef image, string snapshot, CancellationToken ct) =>
        await RunAsync("snap rm", ["snap", "rm", "--no-progress", SnapSpec(image, snapshot)], ct);

    public async Task SnapRenameAsync(ImageRef image, string snapshot, string newName, CancellationToken ct) =>
        await RunAsync("snap rename", ["snap", "rename", SnapSpec(image, snapshot), SnapSpec(image, newName)], ct);

    // Rollback rewrites every changed object of the image, so its duration grows with the image:
    // no process deadline, librados' op timeout answers a dead cluster.
    public async Task SnapRollbackAsync(ImageRef image, string snapshot, CancellationToken ct) =>
        await RunAsync("snap rollback", ["snap", "rollback", "--no-progress", SnapSpec(image, snapshot)], ct, timeout: false);

    public async Task ExportDiffAsync(ImageRef image, string snapshot, string? fromSnapshot, Stream sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        List<string> args = ["export-diff", "--no-progress"];
        if (fromSnapshot is not null)
        {
            Names.RequireValid(fromSnapshot, "snapshot");
            args.AddRange(["--from-snap", fromSnapshot]);
        }
        args.AddRange([SnapSpec(image, snapshot), "-"]);
        await RunAsync("export-diff", args, ct, timeout: false, sink: sink);
    }

    public async Task ImportDiffAsync(ImageRef image, Stream source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        // Not "-": rbd keeps one write in flight when it reads fd 0 (ImportDiffContext's throttle is 1 for
        // STDIN_FILENO), but rbd_concurrent_management_ops for any other fd. Opening /dev/stdin gives rbd the
        // same pipe under another fd; measured on a 1 GiB full: 6.5 s with "-", 5.8 s this way, 5.7 s from the file.
        await RunAsync("import-diff", ["import-diff", "--no-progress", StdinPath, Spec(image)], ct, timeout: false, source: source);
    }

    public async Task ExportAsync(ImageRef image, string? snapshot, Stream sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var spec = snapshot is null ? Spec(image) : SnapSpec(image, snapshot);
        await RunAsync("export", ["export", "--no-progress", spec, "-"], ct, timeout: false, sink: sink);
    }

    internal IReadOnlyList<string> CommonArguments()
    {
        var args = new List<string>();
        if (!string.IsNullOrEmpty(options.ConfFile)) args.AddRange(["-c", options.ConfFile]);
        if (!string.IsNullOrEmpty(options.ClientId)) args.AddRange(["--id", options.ClientId]);
        if (!string.IsNullOrEmpty(options.Keyring)) args.AddRange(["--keyring", options.Keyring]);
        var seconds = options.TimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        // Without these librados waits forever for a dead OSD and 300 s for a dead mon (test-services.md "Hangs").
        args.AddRange(["--rados-osd-op-timeout", seconds, "--client-mount-timeout", seconds]);
        if (options.ConcurrentOps is { } ops)
            args.AddRange(["--rbd-concurrent-management-ops", ops.ToString(CultureInfo.InvariantCulture)]);
        return args;
    }

    private async Task<ProcessResult> RunAsync(string operation, IReadOnlyList<string> args, CancellationToken ct,
        int? allowExit = null, bool timeout = true, Stream? sink = null, Stream? source = null)
    {
        if (options.TimeoutSeconds <= 0)
            throw new CephBackupException(ExitCode.ConfigError, $"Ceph.TimeoutSeconds must be positive, not {options.TimeoutSeconds}");
        var spec = new ProcessSpec(options.RbdPath, [.. CommonArguments(), .. args])
        {
            // rbd prints snapshot timestamps in local time without a zone; UTC makes them parseable as UTC.
            Environment = new Dictionary<string, string?> { ["TZ"] = "UTC" },
            Timeout = timeout ? MetadataTimeout : null,
            StdoutSink = sink,
            StdinSource = source,
        };
        var result = await runner.RunAsync(spec, ct);
        if (result.TimedOut)
        {
            var seconds = (int)Math.Round(MetadataTimeout.TotalSeconds);
            var tail = result.StderrTail.Length == 0 ? "" : result.StderrTail + "\n";
            throw new RbdException(operation, TimedOutExitCode, $"{tail}rbd {operation} timed out after {seconds} s and was killed");
        }
        if (result.ExitCode != 0 && result.ExitCode != allowExit)
            throw new RbdException(operation, result.ExitCode, result.StderrTail);
        return result;
    }

    private static string Spec(ImageRef image)
    {
        ArgumentNullException.ThrowIfNull(image);
        // ImageRef can be built without Parse; a name like "--foo" must never reach argv.
        Names.RequireValid(image.Pool, "pool");
        Names.RequireValid(image.Name, "image");
        return image.ToString();
    }

    private static string SnapSpec(ImageRef image, string snapshot)
    {
        Spec(image);
        Names.RequireValid(snapshot, "snapshot");
        return image.At(snapshot);
    }
}
