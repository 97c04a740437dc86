using System.Diagnostics;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// Where the real services are. scripts/test.sh starts them and exports these variables. A missing
/// service is a failed test, never a skip: a green run must mean the feature was exercised.
/// </summary>
public static class TestEnv
{
    public static string CephConf => Require("CEPH_CONF", "the Ceph test cluster (scripts/ceph-micro.sh start)");
    public static string Pool => Environment.GetEnvironmentVariable("CEPHBACKUP_TEST_POOL") ?? "rbd";

    /// <summary>Connection string to the MariaDB server without a database; the user may create cbtest% databases.</summary>
    public static string MariaDbServer
    {
        get
        {
            var host = Require("MARIADB_HOST", "the MariaDB test server (scripts/mariadb-micro.sh start)");
            var b = new MySqlConnectionStringBuilder
            {
                Server = host,
                Port = uint.Parse(Environment.GetEnvironmentVariable("MARIADB_PORT") ?? "3306"),
                UserID = Require("MARIADB_USER", "MariaDB user"),
                Password = Require("MARIADB_PASSWORD", "MariaDB password"),
            };
            return b.ConnectionString;
        }
    }

    /// <summary>The published native binary (scripts/test.sh runs `dotnet publish` before the tests).</summary>
    public static string NativeBinary =>
        Require("CEPHBACKUP_NATIVE_BIN", "the Native AOT build of cephbackup (dotnet publish src/CephBackup -c Release -r linux-x64)") is var path && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"CEPHBACKUP_NATIVE_BIN={path} does not exist (run scripts/test.sh)");

    private static string Require(string name, string what) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
            ? v
            : throw new InvalidOperationException($"{name} is not set: {what} is required (run scripts/test.sh)");

    /// <summary>A short unique token for names of images, databases and folders made by one test.</summary>
    public static string Unique() => Guid.NewGuid().ToString("N")[..10];
}

/// <summary>A fresh, empty database per test (class); dropped on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public string Name { get; }
    public string ConnectionString { get; }

    private TestDatabase(string name, string cs) { Name = name; ConnectionString = cs; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var name = "cbtest_" + TestEnv.Unique();
        await using (var conn = new MySqlConnection(TestEnv.MariaDbServer))
        {
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand($"CREATE DATABASE `{name}` CHARACTER SET utf8mb4", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var b = new MySqlConnectionStringBuilder(TestEnv.MariaDbServer) { Database = name };
        return new TestDatabase(name, b.ConnectionString + ";DateTimeKind=Utc");
    }

    public async Task ExecAsync(string sql)
    {
        await using var conn = new MySqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        MySqlConnection.ClearAllPools();
        await using var conn = new MySqlConnection(TestEnv.MariaDbServer);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand($"DROP DATABASE IF EXISTS `{Name}`", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>Test-side rbd helpers that bypass the code under test (so a bug there cannot hide itself).</summary>
public static class TestRbd
{
    public static async Task<string> RunAsync(params string[] args) => await RunAsync(null, args);

    public static async Task<string> RunAsync(Stream? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("rbd") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(TestEnv.CephConf);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TZ"] = "UTC";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) { await stdin.CopyToAsync(p.StandardInput.BaseStream); p.StandardInput.Close(); }
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"rbd {string.Join(' ', args)} -> {p.ExitCode}: {await stderr}");
        return await stdout;
    }

    /// <summary>Creates an image of <paramref name="sizeBytes"/> and writes <paramref name="extents"/> of random data into it.</summary>
    public static async Task CreateWithDataAsync(string pool, string image, long sizeBytes, params (long Offset, int Length)[] extents)
    {
        await RunAsync("create", "--size", $"{sizeBytes / 1048576}M", $"{pool}/{image}");
        await WriteAsync(pool, image, sizeBytes, extents);
    }

    /// <summary>Writes random bytes at the extents through a hand-made diff stream (no kernel mapping needed).</summary>
    public static async Task WriteAsync(string pool, string image, long sizeBytes, params (long Offset, int Length)[] extents)
    {
        var ms = new MemoryStream();
        ms.Write("rbd diff v1\n"u8);
        ms.WriteByte((byte)'s'); ms.Write(BitConverter.GetBytes(sizeBytes));
        foreach (var (off, len) in extents)
        {
            ms.WriteByte((byte)'w'); ms.Write(BitConverter.GetBytes(off)); ms.Write(BitConverter.GetBytes((long)len));
            var buf = new byte[len]; Random.Shared.NextBytes(buf); ms.Write(buf);
        }
        ms.WriteByte((byte)'e');
        ms.Position = 0;
        await RunAsync(ms, "import-diff", "--no-progress", "-", $"{pool}/{image}");
    }

    /// <summary>SHA-256 of the whole image (or image@snap) as rbd export sees it.</summary>
    public static async Task<string> Sha256Async(string spec)
    {
        var psi = new ProcessStartInfo("rbd") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", TestEnv.CephConf, "export", "--no-progress", spec, "-" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var hash = await System.Security.Cryptography.SHA256.HashDataAsync(p.StandardOutput.BaseStream);
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"rbd export {spec} -> {p.ExitCode}: {await err}");
        return Convert.ToHexStringLower(hash);
    }

    public static async Task PurgeAndRemoveAsync(string pool, string image)
    {
        try { await RunAsync("snap", "purge", "--no-progress", $"{pool}/{image}"); } catch (InvalidOperationException) { }
        try { await RunAsync("rm", "--no-progress", $"{pool}/{image}"); } catch (InvalidOperationException) { }
    }
}
