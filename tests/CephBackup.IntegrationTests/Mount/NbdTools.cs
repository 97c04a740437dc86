using System.Diagnostics;
using System.Text.RegularExpressions;
using CephBackup.Cli;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Mount;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

/// <summary>The real NBD clients (libnbd-bin, qemu-utils), run as processes.</summary>
public static class NbdTools
{
    public static async Task<ToolResult> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish"); }
        return new ToolResult(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// nbdsh (python3-libnbd) under the system python: the nbdsh script runs the <c>python3</c> on PATH, which may be
    /// one (pyenv on developer machines) that lacks the nbd module.
    /// </summary>
    public static Task<ToolResult> NbdshAsync(params string[] args) => RunAsync("/usr/bin/python3", ["-m", "nbd", .. args]);

    /// <summary>sha256 of what <c>nbdcopy URI -</c> writes to stdout (the whole export).</summary>
    public static async Task<string> NbdcopySha256Async(string uri)
    {
        var psi = new ProcessStartInfo("nbdcopy") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(uri);
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var hash = await System.Security.Cryptography.SHA256.HashDataAsync(p.StandardOutput.BaseStream);
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"nbdcopy {uri} -> {p.ExitCode}: {await err}");
        return Convert.ToHexStringLower(hash);
    }

    public static async Task<string> FileSha256Async(string path)
    {
        await using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(f));
    }

    /// <summary>Bytes the file occupies on disk (st_blocks × 512), from stat(1).</summary>
    public static async Task<long> AllocatedBytesAsync(string path)
    {
        var r = await RunAsync("stat", "-c", "%b", path);
        return long.Parse(r.Stdout.Trim()) * 512;
    }
}

/// <summary>A running <c>cephbackup mount</c> (the real CLI host, in process), stopped as SIGINT would stop it.</summary>
public sealed partial class MountedPoint : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();
    private Task<int> _run = null!;

    public string Uri { get; private set; } = "";
    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }

    /// <summary>Starts the verb and waits until it prints its address; throws with its error if it exits first.</summary>
    public static async Task<MountedPoint> StartAsync(string configPath, params string[] args)
    {
        var m = new MountedPoint();
        var host = new CliHost(TextWriter.Synchronized(new LockedWriter(m._out)), TextWriter.Synchronized(new LockedWriter(m._err)));
        m._run = Task.Run(() => host.RunAsync(["mount", .. args, "--config", configPath], m._stop.Token));
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (UriLine().Match(m.Stdout) is { Success: true } match)
            {
                m.Uri = match.Groups[1].Value;
                return m;
            }
            if (m._run.IsCompleted) throw new MountFailedException(await m._run, m.Stdout, m.Stderr);
            await Task.Delay(50);
        }
        throw new TimeoutException("mount did not start: " + m.Stdout + m.Stderr);
    }

    /// <summary>Stops the server (as Ctrl-C does) and returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run.WaitAsync(TimeSpan.FromMinutes(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted) await StopAsync();
        _stop.Dispose();
    }

    [GeneratedRegex(@"read-only at (\S+)")]
    private static partial Regex UriLine();

    private sealed class LockedWriter(StringWriter inner) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;
        public override void Write(char value) { lock (inner) inner.Write(value); }
        public override void Write(string? value) { lock (inner) inner.Write(value); }
        public override void WriteLine(string? value) { lock (inner) inner.WriteLine(value); }
    }
}

public sealed class MountFailedException(int exitCode, string stdout, string stderr)
    : Exception($"mount exited {exitCode}: {stdout} {stderr}")
{
    public int ExitCode { get; } = exitCode;
    public string Stderr { get; } = stderr;
}
