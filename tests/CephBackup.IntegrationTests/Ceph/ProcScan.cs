namespace CephBackup.IntegrationTests.Ceph;

/// <summary>Finds live processes by their argv in /proc; zombies (already dead, not yet reaped) do not count.</summary>
internal static class ProcScan
{
    public static List<int> Find(Func<string[], bool> match)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length == 0 || !match(argv)) continue;
                if (File.ReadAllLines(Path.Combine(dir, "status")).Any(l => l.StartsWith("State:") && l.Contains('Z'))) continue;
                found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Waits until <paramref name="match"/> finds exactly <paramref name="count"/> processes (killing is asynchronous).</summary>
    public static async Task<List<int>> WaitForCountAsync(Func<string[], bool> match, int count, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            var pids = Find(match);
            if (pids.Count == count || DateTime.UtcNow > until) return pids;
            await Task.Delay(50);
        }
    }
}
