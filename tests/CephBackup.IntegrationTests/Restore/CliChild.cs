using System.Diagnostics;
using System.Runtime.InteropServices;
using CephBackup.IntegrationTests.Ceph;

namespace CephBackup.IntegrationTests.Restore;

/// <summary>
/// The real <c>cephbackup</c> as a child process in its own session (<c>setsid</c>), so a signal can be sent
/// to its whole process group exactly as a terminal's Ctrl-C does (the rbd children get it too).
/// </summary>
internal sealed class CliChild : IDisposable
{
    public const int SigInt = 2, SigTerm = 15;
    private readonly Process _p;
    private readonly Task<string> _stdout, _stderr;

    private CliChild(Process p)
    {
        _p = p;
        _stdout = p.StandardOutput.ReadToEndAsync();
        _stderr = p.StandardError.ReadToEndAsync();
    }

    public int Pid => _p.Id;

    public static CliChild Start(string configPath, params string[] args)
    {
        var psi = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true };
        // setsid execs in place (the child is not a group leader), so Pid is cephbackup's pid and its group id.
        foreach (var a in new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "cephbackup.dll") }.Concat(args).Concat(["--config", configPath]))
            psi.ArgumentList.Add(a);
        return new CliChild(Process.Start(psi)!);
    }

    private static bool Ignored(int signal)
    {
        var mask = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))[7..].Trim();
        return (Convert.ToUInt64(mask, 16) & (1UL << (signal - 1))) != 0;
    }

    /// <summary>Sends <paramref name="signal"/> to the process, or to its whole group (a terminal's Ctrl-C).</summary>
    public void Signal(int signal, bool group)
    {
        // An ignored signal stays ignored across exec: the child inherited it and would carry on as if never sent.
        if (Ignored(signal))
            throw new InvalidOperationException($"signal {signal} is ignored by this test process (SigIgn in /proc/self/status), and so "
                + "by cephbackup: the tests were started in the background by a shell without job control (`cmd &` in a "
                + "script, which ignores SIGINT). Run them in the foreground, or after `set -m`.");
        if (Kill(group ? -Pid : Pid, signal) != 0) throw new InvalidOperationException($"kill({Pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Polls (every few ms) until a live process of this run's group matches; false on timeout or exit.</summary>
    public async Task<bool> WaitForChildAsync(Func<string[], bool> argv, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < within && !_p.HasExited)
        {
            if (ProcScan.Find(argv).Count > 0) return true;
            await Task.Delay(2);
        }
        return false;
    }

    /// <summary>Polls until this process has <paramref name="path"/> open (e.g. while it hashes a file).</summary>
    public async Task<bool> WaitForOpenFileAsync(string path, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < within && !_p.HasExited)
        {
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{Pid}/fd"))
                    if (new FileInfo(fd).LinkTarget == path) return true;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            await Task.Delay(1);
        }
        return false;
    }

    /// <summary>For a failed wait's message: whether the run is still going, or how it ended.</summary>
    public async Task<string> StateAsync() =>
        _p.HasExited ? $"cephbackup had already exited {_p.ExitCode}: {await _stderr}" : "cephbackup was still running";

    /// <summary>Waits for the exit; a run that does not end within <paramref name="within"/> is killed and fails the test.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr, TimeSpan Took)> WaitAsync(TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(within);
        try { await _p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            _p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cephbackup did not exit within {within}: {await _stderr}");
        }
        return (_p.ExitCode, await _stdout, await _stderr, sw.Elapsed);
    }

    public void Dispose()
    {
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
