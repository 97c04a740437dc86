using Microsoft.Win32.SafeHandles;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Nbd;

/// <param name="DataBytes">Bytes actually written; the rest of the file is holes.</param>
public sealed record RawImageResult(string Path, long SizeBytes, long DataBytes, TimeSpan Elapsed);

/// <summary>
/// <c>restore --to-file</c>: a sparse raw image of a restore point, built from the extent index. Holes,
/// 'z' records and all-zero blocks of data are skipped, so they stay holes. The file is created new
/// (never overwritten), fsynced when complete, and removed again on any failure or cancellation.
/// </summary>
public sealed class RawImageWriter(TimeProvider time, ILogger log)
{
    private const int Block = 1 << 20;

    /// <param name="onBytes">Image bytes done so far (data and holes), for a progress display.</param>
    public async Task<RawImageResult> WriteAsync(ChainImage image, string path, Action<long>? onBytes, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        path = System.IO.Path.GetFullPath(path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None);
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path))
        {
            throw new CephBackupException(ExitCode.InvalidInput, $"{path} already exists: --to-file never overwrites, choose another path");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CephBackupException(ExitCode.StorageError, $"cannot create {path}: {e.Message}");
        }
        long written;
        try
        {
            using (handle)
            {
                RandomAccess.SetLength(handle, image.Size);
                written = await Task.Run(() => Copy(image, handle, onBytes, ct), ct);
                RandomAccess.FlushToDisk(handle);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            File.Delete(path);
            log.Error("Writing {RestorePoint} to {Path} failed: {Error}; the partial file was removed", image.Plan.RestorePoint, path, e.Message);
            if (e is OperationCanceledException) throw;
            var code = e is ChainCorruptException ? ExitCode.VerificationFailed : ExitCode.StorageError;
            throw new CephBackupException(code, $"writing {image.Plan.RestorePoint} to {path} failed: {e.Message}; the partial file was removed", e);
        }
        var elapsed = time.GetElapsedTime(started);
        log.Information("Wrote {RestorePoint} of {Source} to {Path}: {Size} bytes, {Data} of them data", image.Plan.RestorePoint, image.Plan.Source, path, image.Size, written);
        return new RawImageResult(path, image.Size, written, elapsed);
    }

    private static long Copy(ChainImage image, SafeFileHandle handle, Action<long>? onBytes, CancellationToken ct)
    {
        using var reader = image.OpenReader();
        var buf = new byte[Block];
        long written = 0;
        foreach (var e in image.Index.Extents)
        {
            if (e.Kind == ExtentKind.Data)
                for (var at = e.Offset; at < e.End; at += Block)
                {
                    ct.ThrowIfCancellationRequested();
                    var part = e.Slice(at, Math.Min(e.End, at + Block));
                    var span = buf.AsSpan(0, (int)part.Length);
                    reader.ReadExtent(part, span);
                    // A full export carries zero blocks as data; skipping them keeps the file as sparse as the image.
                    if (span.IndexOfAnyExcept((byte)0) < 0) continue;
                    FileWrites.WriteSliced(handle, span, part.Offset);
                    written += span.Length;
                    onBytes?.Invoke(part.End);
                }
            onBytes?.Invoke(e.End);
        }
        return written;
    }
}
