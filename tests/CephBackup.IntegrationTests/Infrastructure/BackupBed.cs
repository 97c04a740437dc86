using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh catalog database (migrated), a backup folder, an SMTP server and the real cluster:
/// everything one backup test needs, torn down afterwards (images included).
/// </summary>
public sealed class BackupBed : IAsyncDisposable
{
    public required TestDatabase Db { get; init; }
    public required TestSmtpServer Smtp { get; init; }
    public required string Root { get; init; }
    public required MySqlCatalog Catalog { get; init; }
    public required CephOptions Ceph { get; init; }
    public IRbd Rbd { get; } = null!;
    public List<string> Images { get; } = [];
    public required StringWriter LogText { get; init; }
    public ILogger Log { get; init; } = null!;
    private int _nextId = 1;

    private BackupBed(IRbd rbd) => Rbd = rbd;

    public static async Task<BackupBed> CreateAsync()
    {
        var db = await TestDatabase.CreateAsync();
        await new Migrator(db.ConnectionString).MigrateAsync(CancellationToken.None);
        var ceph = new CephOptions { Pool = TestEnv.Pool, ConfFile = TestEnv.CephConf, TimeoutSeconds = 30 };
        var logText = new StringWriter();
        return new BackupBed(new RbdCli(new ProcessRunner(), ceph))
        {
            Db = db,
            Smtp = await TestSmtpServer.StartAsync(),
            Root = Directory.CreateTempSubdirectory("cbbed-").FullName,
            Catalog = new MySqlCatalog(db.ConnectionString),
            Ceph = ceph,
            LogText = logText,
            Log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new StringSink(logText)).CreateLogger(),
        };
    }

    public MailOptions Mail => new() { Enabled = true, Host = "127.0.0.1", Port = Smtp.Port, Security = MailSecurity.None, From = "backup@test", To = ["admin@test"] };

    /// <summary>exec's service as the composition root builds it, over this bed's services.</summary>
    public BackupService Service(TimeProvider? time = null, MailOptions? mail = null, int parallelism = 2,
        Core.Consistency.ConsistencyOptions? consistency = null) =>
        BedApp.Create(this, time, mail, parallelism: parallelism, consistency: consistency).Backup();

    public async Task<ExecOutcome> ExecAsync(string? job = null, bool dryRun = false, TextWriter? plan = null, int parallelism = 2)
    {
        var outcome = await Service(parallelism: parallelism).RunAsync(new ExecRequest { JobName = job, DryRun = dryRun }, CancellationToken.None);
        if (plan is not null) await plan.WriteAsync(DryRunFormatter.Text(outcome.Jobs));
        return outcome;
    }

    /// <summary>Inserts a job; returns its id.</summary>
    public async Task<int> AddJobAsync(string name, int maxInc, string? mode = null, string? prefix = "BK", int retention = 10, int maxSnaps = 5, string? path = null)
    {
        var id = _nextId++;
        await Db.ExecAsync($"INSERT INTO backup_jobs (idbackup_jobs, name, max_inc, enabled, path, checkmount, retention, `snap-prefix`, `max-snaps`, mode) " +
                           $"VALUES ({id}, '{name}', {maxInc}, 1, '{path ?? Root}', 0, {retention}, {(prefix is null ? "NULL" : $"'{prefix}'")}, {maxSnaps}, {(mode is null ? "NULL" : $"'{mode}'")})");
        return id;
    }

    /// <summary>Creates a Ceph image with random data and links it to the job under the VM name.</summary>
    public async Task<string> AddImageAsync(int jobId, string vm, long size = 64L << 20, string? image = null)
    {
        image ??= "cbt-" + TestEnv.Unique();
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, image, size, (0, 1 << 20), (8L << 20, 4 << 20));
        Images.Add(image);
        await LinkAsync(jobId, vm, image);
        return image;
    }

    public async Task LinkAsync(int jobId, string vm, string image)
    {
        var vmId = _nextId++;
        await Db.ExecAsync($"INSERT INTO vms (idvms, vm, image) VALUES ({vmId}, '{vm}', '{image}')");
        await Db.ExecAsync($"INSERT INTO backup_vms (idbackup_jobs, idvms, id) VALUES ({jobId}, {vmId}, {_nextId++})");
    }

    /// <summary>Rewrites a few random extents so the next diff is not empty.</summary>
    public static Task ChangeAsync(string image, long size = 64L << 20) =>
        TestRbd.WriteAsync(TestEnv.Pool, image, size, (Random.Shared.NextInt64(0, size / 2), 65536), (size - (2 << 20), 8192));

    /// <summary>Imports the files with plain rbd (bypassing our restore) into a new image; returns its sha256.</summary>
    public async Task<string> RestoreByHandAsync(IEnumerable<BackupPoint> sequence)
    {
        var name = "cbt-r-" + TestEnv.Unique();
        Images.Add(name);
        await TestRbd.RunAsync("create", "--size", "1M", $"{TestEnv.Pool}/{name}");
        foreach (var p in sequence)
        {
            await using var f = File.OpenRead(p.FilePath);
            await TestRbd.RunAsync(f, "import-diff", "--no-progress", "-", $"{TestEnv.Pool}/{name}");
        }
        return await TestRbd.Sha256Async($"{TestEnv.Pool}/{name}");
    }

    /// <summary>A killed run's job lease cannot be released by it: the next run waits until it expired.</summary>
    public async Task WaitForLeasesToExpireAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            await using var conn = new MySqlConnector.MySqlConnection(Db.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new MySqlConnector.MySqlCommand("SELECT COUNT(*) FROM cephbackup_leases WHERE expires_at > UTC_TIMESTAMP(6)", conn);
            if (Convert.ToInt64(await cmd.ExecuteScalarAsync()) == 0) return;
            await Task.Delay(500);
        }
        throw new TimeoutException("leases did not expire within 5 minutes");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var i in Images) await TestRbd.PurgeAndRemoveAsync(TestEnv.Pool, i);
        await Smtp.DisposeAsync();
        await Db.DisposeAsync();
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Collects rendered log lines so tests can grep them (for secrets, for reasons).</summary>
public sealed class StringSink(StringWriter target) : Serilog.Core.ILogEventSink
{
    public void Emit(Serilog.Events.LogEvent e)
    {
        lock (target) target.WriteLine($"[{e.Level}] {e.RenderMessage()} {e.Exception}");
    }
}
