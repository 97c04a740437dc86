using Microsoft.Win32.SafeHandles;

namespace CephBackup.Core.Storage;

/// <summary>
/// Every large file write of the tool goes to the kernel in pieces of at most <see cref="Slice"/> bytes.
/// Measured on the bench machine (a virtual machine, kernel 6.18, ext4; 1 GiB written from one reused buffer,
/// cold page cache, 3 to 9 runs a size): 256 and 512 KiB writes cost 0.13-0.14 s of system time, 1 MiB writes
/// 0.13-1.15 s, 2 and 4 MiB writes 1.2-2.0 s, the extra all in copy_folio_from_iter_atomic (perf). A zstd
/// backup of 1 GiB, whose 4 MiB frames went out as one write each, spent 1.6-2.2 s less system time once
/// sliced (docs/BENCHMARKS.md). Elsewhere a slice costs one system call per 512 KiB.
/// </summary>
internal static class FileWrites
{
    public const int Slice = 512 * 1024;

    public static async ValueTask WriteSlicedAsync(this Stream file, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        for (var at = 0; at < bytes.Length; at += Slice)
            await file.WriteAsync(bytes[at..Math.Min(bytes.Length, at + Slice)], ct).ConfigureAwait(false);
    }

    public static void WriteSliced(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset)
    {
        for (var at = 0; at < bytes.Length; at += Slice)
            RandomAccess.Write(file, bytes[at..Math.Min(bytes.Length, at + Slice)], offset + at);
    }
}
