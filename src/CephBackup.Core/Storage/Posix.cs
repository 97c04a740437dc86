using System.Runtime.InteropServices;

namespace CephBackup.Core.Storage;

/// <summary>The two POSIX calls .NET lacks: fsync of a directory (so a rename survives a crash).</summary>
internal static partial class Posix
{
    private const int ORdOnly = 0, ODirectory = 0x10000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

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
