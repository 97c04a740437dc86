using System.Diagnostics;
using CephBackup.Core.Catalog;
using CephBackup.IntegrationTests.Infrastructure;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Fleet;

/// <summary>
/// A fresh catalog database on the three-node Galera test cluster (scripts/galera-micro.sh, started by
/// scripts/test.sh), small images on the shared Ceph cluster, one backup folder all "hosts" share (as an NFS
/// or CephFS mount would be), an SMTP server, and `cephbackup exec` as real child processes, one per node.
/// </summary>
public sealed class GaleraBed : IAsyncDisposable
{
    private int _nextId = 1;
    public string Name { get; } = "cbtest_" + TestEnv.Unique();
    public string Root { get; } = Directory.CreateTempSubdirectory("cbfleet-").FullName;
    public List<string> Images { get; } = [];
    public TestSmtpServer Smtp { get; private set; } = null!;

    public static IReadOnlyList<int> Ports =>
        (Environment.GetEnvironmentVariable("GALERA_PORTS") is { Length: > 0 } v
            ? v
            : throw new InvalidOperationException("GALERA_PORTS is not set: the Galera test cluster (scripts/galera-micro.sh start) is required (run scripts/test.sh)"))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();

    private static string Server(int node) => new MySqlConnectionStringBuilder
    {
        Server = Environment.GetEnvironmentVariable("GALERA_HOST") ?? "127.0.0.1",
        Port = (uint)Ports[node - 1],
        UserID = Environment.GetEnvironmentVariable("GALERA_USER") ?? "rbdbackup",
        Password = Environment.GetEnvironmentVariable("GALERA_PASSWORD") ?? "rbdbackup-pw",
    }.ConnectionString;

    /// <summary>The catalog as seen through node 1, 2 or 3.</summary>
    public string ConnectionString(int node) =>
        new MySqlConnectionStringBuilder(Server(node)) { Database = Name }.ConnectionString + ";DateTimeKind=Utc";

    public static async Task<GaleraBed> CreateAsync()
    {
        var bed = new GaleraBed();
        await using (var conn = new MySqlConnection(Server(1)))
        {
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand($"CREATE DATABASE `{bed.Name}` CHARACTER SET utf8mb4", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        await new Migrator(bed.ConnectionString(1)).MigrateAsync(CancellationToken.None);
        bed.Smtp = await TestSmtpServer.StartAsync();
        return bed;
    }

    public async Task ExecAsync(string sql, int node = 1)
    {
        await using var conn = new MySqlConnection(ConnectionString(node));
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Reads through a node after waiting for every write the cluster has certified (causal read).</summary>
    public async Task<List<string>> LinesAsync(string sql, int node = 1)
    {
        await using var conn = new MySqlConnection(ConnectionString(node));
        await conn.OpenAsync();
        await using (var sync = new MySqlCommand("SET SESSION wsrep_sync_wait = 1", conn)) await sync.ExecuteNonQueryAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await r.ReadAsync())
            lines.Add(string.Join('\t', Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return lines;
    }

    public async Task<int> AddJobAsync(string name, int maxInc = 5)
    {
        var id = _nextId++;
        await ExecAsync($"INSERT INTO backup_jobs (idbackup_jobs, name, max_inc, enabled, path, checkmount, retention, `snap-prefix`, `max-snaps`) " +
                        $"VALUES ({id}, '{name}', {maxInc}, 1, '{Path.Combine(Root, "backups")}', 0, 10, 'BK', 5)");
        return id;
    }

    /// <summary>A small image with a few MiB of random data, linked to the job as the only disk of its VM.</summary>
    public async Task<string> AddImageAsync(int jobId, string vm, long size = 16L << 20)
    {
        var image = "cbt-" + TestEnv.Unique();
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, image, size, (0, 1 << 20), (size / 2, 2 << 20), (size - (1 << 20), 1 << 20));
        Images.Add(image);
        var vmId = _nextId++;
        await ExecAsync($"INSERT INTO vms (idvms, vm, image) VALUES ({vmId}, '{vm}', '{image}')");
        await ExecAsync($"INSERT INTO backup_vms (idbackup_jobs, idvms, id) VALUES ({jobId}, {vmId}, {_nextId++})");
        return image;
    }

    /// <summary>Points per image (image → count), read causally.</summary>
    public async Task<Dictionary<string, int>> PointCountsAsync(int node = 1) =>
        (await LinesAsync("SELECT image, COUNT(*) FROM cephbackup_points GROUP BY image", node))
        .Select(l => l.Split('\t')).ToDictionary(p => p[0], p => int.Parse(p[1]));

    /// <summary>Starts `cephbackup exec` as its own process against one node (the "host" of that node).</summary>
    public Process StartExec(int node, int leaseSeconds, params string[] args) => StartExecWith(node, leaseSeconds, null, args);

    /// <param name="parallelism">Backup:Parallelism of that process; null = the default.</param>
    public Process StartExecWith(int node, int leaseSeconds, int? parallelism, params string[] args)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Root, $"host{node}-{TestEnv.Unique()}")).FullName;
        var cli = new CliRun(dir, ConnectionString(node), Smtp.Port);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "cephbackup.dll"), "exec", "--config", cli.ConfigPath }.Concat(args))
            psi.ArgumentList.Add(a);
        psi.Environment["CEPHBACKUP_Catalog__LeaseSeconds"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (parallelism is { } n) psi.Environment["CEPHBACKUP_Backup__Parallelism"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync(); // drained so that a chatty child never blocks on a full pipe
        return p;
    }

    public static async Task<(int Code, string Stderr)> WaitAsync(Process p, TimeSpan timeout)
    {
        var err = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(); throw new TimeoutException($"exec did not finish within {timeout}: {await err}"); }
        return (p.ExitCode, await err);
    }

    /// <summary>scripts/galera-micro.sh VERB [N] on the cluster test.sh started (its dir and ports from the env).</summary>
    public static async Task ClusterAsync(string verb, int node)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(PrivateMariaDb.RepoRoot(), "scripts", "galera-micro.sh"));
        psi.ArgumentList.Add(verb);
        psi.ArgumentList.Add(node.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"galera-micro.sh {verb} {node}: {await err}");
    }

    public IEnumerable<string> PartialFiles() =>
        Directory.Exists(Path.Combine(Root, "backups"))
            ? Directory.EnumerateFiles(Path.Combine(Root, "backups"), "*.partial", SearchOption.AllDirectories)
            : [];

    public async ValueTask DisposeAsync()
    {
        foreach (var i in Images) await TestRbd.PurgeAndRemoveAsync(TestEnv.Pool, i);
        await Smtp.DisposeAsync();
        MySqlConnection.ClearAllPools();
        try
        {
            await using var conn = new MySqlConnection(Server(1));
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand($"DROP DATABASE IF EXISTS `{Name}`", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (MySqlException) { } // a node test may leave node 1 briefly unavailable; the name is unique anyway
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
