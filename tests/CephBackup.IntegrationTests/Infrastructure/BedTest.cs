using CephBackup.Core.Catalog;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// A test class over its own <see cref="BackupBed"/>: xUnit builds one instance per test, so every test
/// gets a fresh catalog, folder and images and none can see what another left behind.
/// </summary>
public abstract class BedTest : IAsyncLifetime
{
    // A field under the name the test classes used before they shared this base, so their bodies stay as they were.
    protected BackupBed _bed = null!;

    /// <summary>An override that needs the bed calls this first.</summary>
    public virtual async Task InitializeAsync() => _bed = await BackupBed.CreateAsync();

    public virtual async Task DisposeAsync() => await _bed.DisposeAsync();

    protected async Task<List<BackupPoint>> PointsAsync(string image) =>
        (await _bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None)).ToList();
}
