using System.Runtime.InteropServices;

namespace CephBackup.Core.Storage;

/// <summary>The POSIX calls .NET lacks: fsync of a directory (so a rename survives a crash), writeback hints, pipe size.</summary>
internal static partial class Posix
{
    private const int ORdOnly = 0, ODirectory = 0x10000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private const uint SyncFileRangeWrite = 2;

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    /// <summary>
    /// Starts writeback of a range without waiting for it (SYNC_FILE_RANGE_WRITE). Best effort: a failure
    /// here only loses the overlap; the final fsync still reports real I/O errors.
    /// </summary>
    public static void StartWriteback(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long length)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try { SyncFileRange((int)file.DangerousGetHandle(), offset, length, SyncFileRangeWrite); }
        finally { if (added) file.DangerousRelease(); }
    }

    private const int FSetPipeSize = 1031;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary>
    /// Grows a pipe's kernel buffer (F_SETPIPE_SZ; Linux caps it at /proc/sys/fs/pipe-max-size, 1 MiB by
    /// default). Best effort: false when the kernel refused, and the pipe keeps its 64 KiB.
    /// </summary>
    public static bool GrowPipe(SafeHandle pipe, int bytes)
    {
        var added = false;
        pipe.DangerousAddRef(ref added);
        try { return Fcntl((int)pipe.DangerousGetHandle(), FSetPipeSize, bytes) >= 0; }
        finally { if (added) pipe.DangerousRelease(); }
    }

    public static void FsyncDirectory(string dir)
    {
        var fd = Open(dir, ORdOnly | ODirectory);
        if (fd < 0) throw new IOException($"cannot open directory {dir} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {dir} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally { Close(fd); }
    }
}
