using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Retention;

/// <summary>Restores with plain rbd from the files (bypassing the code under test).</summary>
public static class ByHand
{
    /// <summary>Imports the point's restore sequence into a new image and returns that image's sha256.</summary>
    public static async Task<string> RestoreAsync(BackupBed bed, IReadOnlyCollection<BackupPoint> chain, BackupPoint target)
    {
        var name = "cbt-r-" + TestEnv.Unique();
        bed.Images.Add(name);
        await TestRbd.RunAsync("create", "--size", "1M", $"{TestEnv.Pool}/{name}");
        foreach (var p in BackupPlanner.RestoreSequence(chain, target))
        {
            await using var f = File.OpenRead(p.FilePath);
            await TestRbd.RunAsync(f, "import-diff", "--no-progress", "-", $"{TestEnv.Pool}/{name}");
        }
        return await TestRbd.Sha256Async($"{TestEnv.Pool}/{name}");
    }

    /// <summary>
    /// <see cref="BackupBed.AddJobAsync"/> with a random job id: job locks are server-wide MySQL named locks
    /// keyed by job id only, so job 1 of a parallel test run on the same server would block this one.
    /// </summary>
    public static async Task<int> AddJobAsync(BackupBed bed, string name, int maxInc, string? mode = null, string? prefix = "BK",
        int retention = 10, int maxSnaps = 5, string? path = null)
    {
        var id = await bed.AddJobAsync(name, maxInc, mode, prefix, retention, maxSnaps, path);
        var unique = Random.Shared.Next(1_000_000, int.MaxValue);
        await bed.Db.ExecAsync($"UPDATE backup_jobs SET idbackup_jobs = {unique} WHERE idbackup_jobs = {id}");
        return unique;
    }

    public static async Task<List<BackupPoint>> PointsAsync(BackupBed bed, string image) =>
        (await bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None)).ToList();

    public static async Task<List<string>> SnapshotsAsync(string image) =>
        System.Text.Json.JsonDocument.Parse(await TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{image}"))
            .RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();
}
