using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Retention;

/// <summary>Restores with plain rbd from the files (bypassing the code under test).</summary>
public static class ByHand
{
    public static Task<string> RestoreAsync(BackupBed bed, IReadOnlyCollection<BackupPoint> chain, BackupPoint target) =>
        bed.RestoreByHandAsync(BackupPlanner.RestoreSequence(chain, target));

    public static async Task<List<BackupPoint>> PointsAsync(BackupBed bed, string image) =>
        (await bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None)).ToList();

    public static async Task<List<string>> SnapshotsAsync(string image) =>
        System.Text.Json.JsonDocument.Parse(await TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{image}"))
            .RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();
}
