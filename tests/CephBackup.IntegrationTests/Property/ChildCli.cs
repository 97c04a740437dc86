using System.Diagnostics;

namespace CephBackup.IntegrationTests.Property;

/// <param name="ExitCode">Null when the test killed the process.</param>
public sealed record ChildResult(int? ExitCode, string Stdout, string Stderr, bool Killed, TimeSpan Elapsed)
{
    public string Outcome => Killed ? $"killed after {Elapsed.TotalMilliseconds:F0} ms" : $"exit {ExitCode} after {Elapsed.TotalMilliseconds:F0} ms";
}

/// <summary>
/// The real <c>cephbackup</c> in a child process (<c>dotnet cephbackup.dll</c>, as installed), so exit codes,
/// stderr and a SIGKILL are what an admin or the OOM killer would see.
/// </summary>
public static class ChildCli
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(5);
    /// <summary>Short job leases: a killed exec's lease blocks the job until it expires (docs/SCALING.md).</summary>
    public const int LeaseSeconds = 6;

    public static async Task<ChildResult> RunAsync(string configPath, string[] args, TimeSpan? killAfter = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cephbackup.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CEPHBACKUP_Catalog__LeaseSeconds"] = LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(configPath);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var exited = p.WaitForExitAsync();
        var killed = false;
        if (killAfter is { } delay && await Task.WhenAny(exited, Task.Delay(delay)) != exited)
        {
            var children = ChildrenOf(p.Id);
            p.Kill(entireProcessTree: false); // SIGKILL of cephbackup only, as the OOM killer would do
            killed = true;
            await exited;
            // Its rbd children live on briefly (a snap create finishes, an export-diff dies of SIGPIPE). An admin
            // re-running after a crash would not race them within milliseconds, so wait for them.
            await WaitGoneAsync(children, TimeSpan.FromSeconds(60));
            // Its job lease lives on until it expires (it cannot be released by a dead process): an admin's
            // next run in that window is told "already running", which is the documented behaviour.
            await Task.Delay(TimeSpan.FromSeconds(LeaseSeconds + 1));
        }
        else if (await Task.WhenAny(exited, Task.Delay(Hang)) != exited)
        {
            p.Kill(entireProcessTree: true);
            throw new PropertyViolation($"cephbackup {string.Join(' ', args)} hung for {Hang}: killed");
        }
        return new ChildResult(killed ? null : p.ExitCode, await stdout, await stderr, killed, sw.Elapsed);
    }

    /// <summary>Pids whose parent is <paramref name="pid"/> (field 4 of /proc/PID/stat, after the command name).</summary>
    private static List<int> ChildrenOf(int pid)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == pid) result.Add(candidate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException) { }
        }
        return result;
    }

    private static async Task WaitGoneAsync(List<int> pids, TimeSpan max)
    {
        var sw = Stopwatch.StartNew();
        while (pids.Any(Alive) && sw.Elapsed < max)
            await Task.Delay(20);
    }

    /// <summary>Running, not a zombie (an orphan's zombie lingers until whatever reaps orphans here gets to it).</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}

/// <summary>A broken promise found by the property test; the runner adds the seed and the action log.</summary>
public sealed class PropertyViolation(string message) : Exception(message);
