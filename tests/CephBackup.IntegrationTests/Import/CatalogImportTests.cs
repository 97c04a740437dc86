using System.Security.Cryptography;
using CephBackup.Commands.Catalog;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Import;

public class CatalogImportTests : BedTest
{
    private async Task<(int Code, string[] Lines)> ImportAsync(string? job = null)
    {
        await using var app = BedApp.Create(_bed);
        var stdout = new StringWriter();
        var code = await CatalogImportRunner.RunAsync(new CatalogImportArgs { Job = job }, app, stdout, CancellationToken.None);
        return (code, stdout.ToString().TrimEnd('\n').Split('\n'));
    }

    private static string Sha(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    /// <summary>What bkexec.php did for one point: snapshot, then a plain export-diff into the tree (no sidecars, no rows).</summary>
    private static async Task PhpPointAsync(string img, string dir, int chain, int point, int? from)
    {
        var snap = SnapshotNames.Of("PH", chain, point);
        await TestRbd.RunAsync("snap", "create", "--no-progress", $"{TestEnv.Pool}/{img}@{snap}");
        var file = Path.Combine(dir, chain.ToString("D6"), point.ToString("D6"));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string[] fromArgs = from is { } f ? ["--from-snap", SnapshotNames.Of("PH", chain, f)] : [];
        await TestRbd.RunAsync(["export-diff", "--no-progress", .. fromArgs, $"{TestEnv.Pool}/{img}@{snap}", file]);
    }

    private Task<string> RestoreByHandAsync(IReadOnlyList<BackupPoint> chain, string restorePoint) =>
        _bed.RestoreByHandAsync(BackupPlanner.RestoreSequence(chain, chain.Single(p => p.RestorePoint == restorePoint)));

    [Fact]
    public async Task Php_era_points_are_imported_unverified_and_restore_bit_exact_while_broken_files_are_reported()
    {
        var job = await _bed.AddJobAsync("JP", maxInc: 5, prefix: "PH");
        var img = await _bed.AddImageAsync(job, "php01");
        var dir = Path.Combine(_bed.Root, "JP", "php01", img);
        // chain 1: full, inc, inc, then an export cut short; chain 2: full, inc, and a differential from the full.
        var shapes = new (int Chain, int Point, int? From)[] { (1, 0, null), (1, 1, 0), (1, 2, 1), (1, 3, 2), (2, 0, null), (2, 1, 0), (2, 2, 0) };
        var sources = new Dictionary<string, string>();
        foreach (var (chain, point, from) in shapes)
        {
            if (chain + point > 1) await BackupBed.ChangeAsync(img);
            await PhpPointAsync(img, dir, chain, point, from);
            sources[$"{chain:D6}-{point:D6}"] = await TestRbd.Sha256Async($"{TestEnv.Pool}/{img}@{SnapshotNames.Of("PH", chain, point)}");
        }
        var cut = Path.Combine(dir, "000001", "000003");
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..^1]);
        File.WriteAllBytes(Path.Combine(dir, "000001", "000004.partial"), File.ReadAllBytes(Path.Combine(dir, "000001", "000002")));
        File.WriteAllText(Path.Combine(dir, "000001", "notes.txt"), "not a point");
        var before = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order().Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList();

        var (code, lines) = await ImportAsync();
        Assert.Equal((int)ExitCode.Ok, code);
        Assert.Equal($"JP php01/{img}: imported 6, already known 0, skipped 1", lines[0]);
        Assert.StartsWith("  skipped 000001-000003: ", lines[1]);
        Assert.Contains("interrupted export", lines[1]);
        Assert.Equal("total: 1 image(s), imported 6, already known 0, skipped 1, unreadable 0", lines[^1]);

        var points = await PointsAsync(img);
        Assert.Equal(["000001-000000", "000001-000001", "000001-000002", "000002-000000", "000002-000001", "000002-000002"], points.Select(p => p.RestorePoint));
        Assert.Equal([PointType.Full, PointType.Incremental, PointType.Incremental, PointType.Full, PointType.Incremental, PointType.Differential], points.Select(p => p.Type));
        Assert.Equal([null, 0, 1, null, 0, 0], points.Select(p => p.BasePoint));
        foreach (var p in points)
        {
            Assert.Equal(PointStatus.Unverified, p.Status);
            Assert.Equal(Sha(p.FilePath), p.Sha256);
            Assert.Equal(SnapshotNames.Of("PH", p.Chain, p.Point), p.Snapshot);
            Assert.Equal(64L << 20, p.ImageSizeBytes);
            Assert.Equal(new FileInfo(p.FilePath).Length, p.SizeBytes);
            Assert.Equal(File.GetLastWriteTimeUtc(p.FilePath), p.StartedAt, TimeSpan.FromMilliseconds(1));
        }
        Assert.Equal(before, Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order().Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList());

        (code, lines) = await ImportAsync("JP");
        Assert.Equal((int)ExitCode.Ok, code);
        Assert.Equal($"JP php01/{img}: imported 0, already known 6, skipped 1", lines[0]);
        Assert.Equal(6, (await PointsAsync(img)).Count);

        Assert.Equal(sources["000001-000002"], await RestoreByHandAsync(points, "000001-000002"));
        Assert.Equal(sources["000002-000002"], await RestoreByHandAsync(points, "000002-000002"));

        // exec carries on from the imported chain: the PHP-era points are valid bases.
        await BackupBed.ChangeAsync(img);
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var next = (await PointsAsync(img))[^1];
        Assert.Equal(("000002-000003", PointType.Incremental, (int?)2, PointStatus.Ok), (next.RestorePoint, next.Type, next.BasePoint, next.Status));
    }

    [Fact]
    public async Task Exec_points_without_rows_come_back_ok_from_their_sidecars_unless_corrupt_or_based_on_a_corrupt_one()
    {
        var job = await _bed.AddJobAsync("JE", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "ex01");
        for (var run = 0; run < 3; run++)
        {
            if (run > 0) await BackupBed.ChangeAsync(img);
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        }
        var original = await PointsAsync(img);
        await _bed.Db.ExecAsync("DELETE FROM cephbackup_points");
        var bytes = File.ReadAllBytes(original[1].FilePath);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(original[1].FilePath, bytes);

        await using (var held = await new LeaseJobLockProvider(_bed.Db.ConnectionString).TryAcquireAsync(job, "otherhost", 4242, DateTime.UtcNow, CancellationToken.None))
        {
            Assert.NotNull(held);
            var (busyCode, busy) = await ImportAsync();
            Assert.Equal((int)ExitCode.PartialFailure, busyCode);
            Assert.Equal("job JE: job is running (host otherhost pid 4242): not scanned", busy[0]);
            Assert.Empty(await PointsAsync(img));
        }

        var (code, lines) = await ImportAsync("JE");
        Assert.Equal((int)ExitCode.Ok, code);
        Assert.Equal($"JE ex01/{img}: imported 1, already known 0, skipped 2", lines[0]);
        Assert.StartsWith("  skipped 000001-000001: corrupt: the file's sha256 ", lines[1]);
        Assert.Equal("  skipped 000001-000002: its base point 000001 is neither in the catalog nor importable", lines[2]);

        var back = Assert.Single(await PointsAsync(img));
        var o = original[0];
        Assert.Equal((o.RestorePoint, o.Type, o.BasePoint, o.Snapshot, o.Sha256, o.SizeBytes, o.ImageSizeBytes, o.FilePath, PointStatus.Ok),
            (back.RestorePoint, back.Type, back.BasePoint, back.Snapshot, back.Sha256, back.SizeBytes, back.ImageSizeBytes, back.FilePath, back.Status));
        Assert.Equal(o.StartedAt, back.StartedAt, TimeSpan.FromMilliseconds(1));
        Assert.Equal(o.EndedAt, back.EndedAt, TimeSpan.FromMilliseconds(1));

        await using var app = BedApp.Create(_bed);
        var e = await Assert.ThrowsAsync<CephBackupException>(() => app.CatalogImport().RunAsync(new Core.Jobs.ImportRequest { JobName = "NOJOB" }, CancellationToken.None));
        Assert.Equal(ExitCode.InvalidInput, e.Code);
    }
}
