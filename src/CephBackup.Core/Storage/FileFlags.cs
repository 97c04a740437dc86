using System.Runtime.InteropServices;

namespace CephBackup.Core.Storage;

/// <summary>
/// Whether a folder tree can be deleted, asked before deleting anything of it: the inode flags that
/// <c>chattr +i</c> / <c>+a</c> set (ioctl FS_IOC_GETFLAGS, what lsattr reads) and a read-only mount (EROFS).
/// </summary>
internal static partial class FileFlags
{
    private const int ORdOnly = 0, ONonBlock = 0x800, ONoFollow = 0x20000, WOk = 2;
    private const int EPerm = 1, ERofs = 30;
    private const uint FsImmutable = 0x10, FsAppend = 0x20;
    // _IOR('f', 1, long) on 64-bit Linux; the kernel writes an int.
    private const ulong FsIocGetFlags = 0x80086601;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, out uint flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);

    /// <summary>"immutable" / "append-only" when chattr set it, null when not set or the filesystem has no such flags.</summary>
    public static string? LockFlag(string path)
    {
        var fd = Open(path, ORdOnly | ONonBlock | ONoFollow);
        if (fd < 0) return null;
        try
        {
            if (Ioctl(fd, FsIocGetFlags, out var flags) != 0) return null;
            return (flags & FsImmutable) != 0 ? "immutable" : (flags & FsAppend) != 0 ? "append-only" : null;
        }
        finally { Close(fd); }
    }

    /// <summary>
    /// Null when <paramref name="dir"/>, every entry below it and its parent folder can be removed, else the first reason why not.
    /// </summary>
    public static string? WhyNotDeletable(string dir)
    {
        var parent = Path.GetDirectoryName(dir)!;
        foreach (var d in new[] { parent, dir })
        {
            if (Access(d, WOk) != 0 && Marshal.GetLastPInvokeError() is var errno and (ERofs or EPerm))
                return $"{d} is not writable ({(errno == ERofs ? "read-only filesystem" : "operation not permitted")})";
            if (LockFlag(d) is { } flag) return $"folder {d} is {flag}";
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories))
            if (LockFlag(entry) is { } flag) return $"{entry} is {flag}";
        return null;
    }
}
