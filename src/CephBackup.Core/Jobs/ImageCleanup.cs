using CephBackup.Core.Ceph;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>What <see cref="ImageCleanup"/> achieved for one image.</summary>
/// <param name="Removed">The image is gone (or never existed).</param>
/// <param name="Message">For the error message: what was removed, or what is left and how to remove it.</param>
public sealed record CleanupResult(ImageRef Image, bool Removed, string Message);

/// <summary>
/// Removes an image this process made (a half-made restore target, a verify scratch image). It runs on its
/// own deadline, never on the caller's token: it is what runs after a Ctrl-C. A killed <c>rbd import-diff</c>
/// keeps the image's exclusive lock until its watch times out (~30 s, during which <c>rbd rm</c> waits), so
/// locks are broken first: the image is ours, so any locker is our own dead import. A step that fails
/// (e.g. an rbd child hit by the same terminal Ctrl-C) is retried until the deadline.
/// </summary>
public sealed class ImageCleanup(IRbd rbd, TimeProvider time, ILogger log, TimeSpan? budget = null)
{
    /// <summary>
    /// The whole cleanup of one image, retries included. The CLI host waits longer than this after a signal
    /// (CliHost's ProcessTerminationTimeout), so a cleanup either finishes or says what is left.
    /// </summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(75);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public async Task<CleanupResult> RemoveAsync(ImageRef image, string what)
    {
        using var deadline = new CancellationTokenSource(budget ?? Budget, time);
        string? lastError = null;
        for (var attempt = 1; !deadline.IsCancellationRequested; attempt++)
        {
            try
            {
                await BreakLocksAsync(image, deadline.Token);
                await rbd.RemoveAsync(image, deadline.Token);
                log.Information("Removed {What} {Image}", what, image);
                return new CleanupResult(image, true, $"the {what} {image} was removed");
            }
            catch (RbdException e) when (e.IsNotFound)
            {
                return new CleanupResult(image, true, $"the {what} {image} was removed");
            }
            catch (Exception e) when (e is CephBackupException or OperationCanceledException or IOException)
            {
                lastError = e.Message;
                log.Warning("Removing {What} {Image}, attempt {Attempt}: {Error}", what, image, attempt, e.Message);
                try { await Task.Delay(RetryDelay, time, deadline.Token); }
                catch (OperationCanceledException) { break; }
            }
        }
        var left = $"the {what} {image} could NOT be removed ({lastError ?? "no time left"}); its content is incomplete. " +
                   $"Left behind: image {image} and its snapshots. Remove them with: {RemoveCommand(image)}";
        log.Error("{Message}", left);
        return new CleanupResult(image, false, left);
    }

    /// <summary>What an admin runs by hand: break whatever lock is listed, then purge and remove.</summary>
    public static string RemoveCommand(ImageRef image) =>
        $"rbd lock ls {image} (then rbd lock rm {image} ID LOCKER for each); rbd snap purge {image} && rbd rm {image}";

    private async Task BreakLocksAsync(ImageRef image, CancellationToken ct)
    {
        foreach (var l in await rbd.LockListAsync(image, ct))
        {
            await rbd.LockRemoveAsync(image, l, ct);
            log.Information("Broke lock {Id} of {Locker} ({Address}) on {Image}, left by an interrupted rbd", l.Id, l.Locker, l.Address, image);
        }
    }
}

/// <summary>A cancellation whose message says what was cleaned up (the CLI prints it; exit 130).</summary>
public sealed class CancelledException(string message, Exception? inner = null) : OperationCanceledException(message, inner);
