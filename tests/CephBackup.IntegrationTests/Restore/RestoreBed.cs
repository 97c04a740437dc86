using System.Text.Json;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

/// <summary>A <see cref="BackupBed"/> plus the real command line, and helpers to make backed-up images.</summary>
public abstract class RestoreBed : IAsyncLifetime
{
    protected BackupBed Bed { get; private set; } = null!;
    /// <summary>For config files and logs of the command line; outside the backup root.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("cbrestore-").FullName;
    private CliRun _cli = null!;

    public async Task InitializeAsync()
    {
        Bed = await BackupBed.CreateAsync();
        _cli = new CliRun(Dir, Bed.Db.ConnectionString, Bed.Smtp.Port);
    }

    public async Task DisposeAsync()
    {
        Directory.Delete(Dir, true);
        await Bed.DisposeAsync();
    }

    protected static string Spec(string image) => $"{TestEnv.Pool}/{image}";

    /// <summary>A name for a restore target; registered so the bed removes it whatever the test did.</summary>
    protected string NewName()
    {
        var n = "cbt-rs-" + TestEnv.Unique();
        Bed.Images.Add(n);
        return n;
    }

    protected async Task<List<BackupPoint>> PointsAsync(string image) =>
        (await Bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None)).ToList();

    /// <summary>The plan `cephbackup restore JOB IMAGE POINT NEW-NAME` makes, for tests that drive the service directly.</summary>
    protected Task<RestorePlan> CatalogPlanAsync(string job, string image, string restorePoint) =>
        RestoreSources.FromCatalogAsync(Bed.Catalog, Bed.Ceph, new CatalogRestoreRequest
        {
            Job = job, Image = image, RestorePoint = restorePoint, NewName = NewName(),
        }, CancellationToken.None);

    protected Task<CliResult> Cli(params string[] args) => _cli.RunAsync(args);

    /// <summary>The config file the command line uses (for a real child process).</summary>
    protected string ConfigPath => _cli.ConfigPath;

    /// <summary>Everything the command line logged to its log file so far.</summary>
    protected string Logs() => _cli.AllLogs();

    /// <summary>
    /// A job with one image of <paramref name="dataMiB"/> MiB of random data (in 4 MiB extents, every other
    /// 4 MiB) backed up once: big enough that reading or importing it takes a moment a signal can hit.
    /// </summary>
    protected async Task<string> BigBackedUpImageAsync(string job, int dataMiB, string? vm = null, int? jobId = null)
    {
        var id = jobId ?? await Bed.AddJobAsync(job, maxInc: 5);
        var img = "cbt-" + TestEnv.Unique();
        Bed.Images.Add(img);
        var size = (long)dataMiB * 2 << 20;
        for (var start = 0L; start < dataMiB; start += 64)
        {
            var extents = Enumerable.Range(0, (int)Math.Min(16, (dataMiB - start) / 4)).Select(i => ((start + i * 4L) * 2 << 20, 4 << 20)).ToArray();
            if (start == 0) await TestRbd.CreateWithDataAsync(TestEnv.Pool, img, size, extents);
            else await TestRbd.WriteAsync(TestEnv.Pool, img, size, extents);
        }
        await Bed.LinkAsync(id, vm ?? "vm-" + job, img);
        if (jobId is null) Assert.Equal(ExitCode.Ok, (await Bed.ExecAsync(job)).ExitCode);
        return img;
    }

    protected static async Task<bool> ExistsAsync(string spec)
    {
        try { await TestRbd.RunAsync("info", spec); return true; }
        catch (InvalidOperationException) { return false; }
    }

    protected static async Task<List<string>> SnapNamesAsync(string spec) =>
        JsonDocument.Parse(await TestRbd.RunAsync("snap", "ls", "--format", "json", spec)).RootElement
            .EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    /// <summary>Creates job + image and runs exec <paramref name="runs"/> times, changing the image between runs.</summary>
    protected async Task<string> BackedUpImageAsync(string job, int maxInc, int runs, string? mode = null, string prefix = "BK")
    {
        var id = await Bed.AddJobAsync(job, maxInc, mode, prefix);
        var img = await Bed.AddImageAsync(id, "vm-" + job);
        for (var run = 0; run < runs; run++)
        {
            if (run > 0) await BackupBed.ChangeAsync(img);
            Assert.Equal(ExitCode.Ok, (await Bed.ExecAsync(job)).ExitCode);
        }
        return img;
    }

    /// <summary>Flips one bit in the middle of a file.</summary>
    protected static async Task FlipByteAsync(string path)
    {
        await using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = f.Length / 2;
        var b = f.ReadByte();
        f.Position--;
        f.WriteByte((byte)(b ^ 0x01));
    }
}
