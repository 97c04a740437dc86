using System.Diagnostics;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Retention;

/// <summary>
/// A folder on a filesystem that honours <c>chattr +i</c>: the test bed's own folder when it does (ext4 /tmp),
/// else a loop-mounted ext4 image (tests run as root). Dispose clears every immutable flag first.
/// </summary>
public sealed class ChattrDir : IAsyncDisposable
{
    public string Path { get; }
    private readonly string? _imageFile;

    private ChattrDir(string path, string? imageFile) { Path = path; _imageFile = imageFile; }

    public static async Task<ChattrDir> CreateAsync(string preferred)
    {
        var probe = System.IO.Path.Combine(preferred, ".chattr-probe");
        await File.WriteAllTextAsync(probe, "x");
        var supported = await TryAsync("chattr", "+i", probe) == 0;
        if (supported) await RunAsync("chattr", "-i", probe);
        File.Delete(probe);
        if (supported) return new ChattrDir(preferred, null);

        var image = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cbt-ext4-{TestEnv.Unique()}.img");
        var mount = Directory.CreateTempSubdirectory("cbt-mnt-").FullName;
        await RunAsync("truncate", "-s", "64M", image);
        await RunAsync("mkfs.ext4", "-q", "-F", image);
        await RunAsync("mount", "-o", "loop", image, mount);
        return new ChattrDir(mount, image);
    }

    public static Task SetImmutableAsync(string path, bool on) => RunAsync("chattr", on ? "+i" : "-i", path);

    public async ValueTask DisposeAsync()
    {
        await TryAsync("chattr", "-R", "-i", Path);
        if (_imageFile is null) return;
        await TryAsync("umount", Path);
        try { Directory.Delete(Path, true); File.Delete(_imageFile); } catch (IOException) { }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        if (await TryAsync(file, args) is var rc and not 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} -> {rc}");
    }

    private static async Task<int> TryAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        await Task.WhenAll(p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        await p.WaitForExitAsync();
        return p.ExitCode;
    }
}
