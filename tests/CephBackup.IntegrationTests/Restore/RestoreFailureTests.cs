using System.Security.Cryptography;
using CephBackup.Core;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

/// <summary>Failures after the checksum check, and restores without the database.</summary>
public class RestoreFailureTests : RestoreBed
{
    [Fact]
    public async Task An_import_diff_failure_removes_the_half_made_image_and_names_step_file_and_rbd_message()
    {
        var img = await BackedUpImageAsync("JF", maxInc: 5, runs: 2);
        var inc = (await PointsAsync(img))[1];
        // Cut the increment in half and record the cut file's checksum, so it passes the pre-check and
        // only rbd import-diff notices (it has then already written the full into the new image).
        var bytes = await File.ReadAllBytesAsync(inc.FilePath);
        var cut = bytes[..(bytes.Length / 2)];
        await File.WriteAllBytesAsync(inc.FilePath, cut);
        await Bed.Db.ExecAsync($"UPDATE cephbackup_points SET sha256 = '{Convert.ToHexStringLower(SHA256.HashData(cut))}', size_bytes = {cut.Length} WHERE id = {inc.Id}");

        var name = NewName();
        var r = await Cli("restore", "JF", img, "000001-000001", name);
        Assert.Equal((int)ExitCode.CephError, r.ExitCode);
        Assert.Contains($"failed at import-diff of 000001-000001 ({inc.FilePath}, file 2/2)", r.Stderr);
        Assert.Contains("rbd import-diff failed (74)", r.Stderr);
        Assert.Contains($"the partial image {Spec(name)} was removed", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));
    }

    [Fact]
    public async Task A_chain_whose_catalog_links_disagree_with_its_files_is_refused_and_leaves_no_image()
    {
        // rbd is given the diffs without their snapshot records (no snapshot made, none removed), so the check
        // rbd's from-snapshot lookup used to make is the tool's: each file must start where the previous ended.
        var img = await BackedUpImageAsync("JL", maxInc: 5, runs: 3);
        var points = await PointsAsync(img);
        await Bed.Db.ExecAsync($"UPDATE cephbackup_points SET base_point = 0 WHERE id = {points[2].Id}");

        var name = NewName();
        var r = await Cli("restore", "JL", img, "000001-000002", name);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains("starts from snapshot BK-000001-000001, but the file before it in the chain ends at BK-000001-000000", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));

        // The intact points still restore, without a single snapshot left on the new image.
        var ok = NewName();
        Assert.Equal(0, (await Cli("restore", "JL", img, "000001-000001", ok)).ExitCode);
        Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@BK-000001-000001"), await TestRbd.Sha256Async(Spec(ok)));
        Assert.Empty(await SnapNamesAsync(Spec(ok)));
    }

    [Fact]
    public async Task Cancellation_during_the_import_removes_the_new_image()
    {
        var img = await BackedUpImageAsync("JK", maxInc: 5, runs: 2);
        var plan = await CatalogPlanAsync("JK", img, "000001-000001");
        using var cts = new CancellationTokenSource();
        var importing = new List<RestoreProgress>();
        var progress = new SyncProgress(p =>
        {
            if (p.Phase != RestorePhase.Import) return;
            importing.Add(p);
            cts.Cancel();
        });

        var service = new RestoreService(Bed.Rbd, TimeProvider.System, Bed.Log);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => service.RestoreAsync(plan, new RestoreOptions(), progress, cts.Token));
        Assert.Equal(0, importing[0].FileIndex);
        Assert.False(await ExistsAsync(plan.Target.ToString()));
    }

    /// <summary>
    /// Ctrl-C reaches the whole process group: an `rbd create` can die after the cluster made the image. The
    /// restore-vm signal test left such a disk behind (exit 130, "cleanup done") under a loaded full run.
    /// </summary>
    [Fact]
    public async Task A_create_interrupted_after_the_cluster_made_the_image_leaves_no_image()
    {
        var img = await BackedUpImageAsync("JC", maxInc: 5, runs: 1);
        var plan = await CatalogPlanAsync("JC", img, "000001-000000");
        var service = new RestoreService(new CreateThenCancel(Bed.Rbd), TimeProvider.System, Bed.Log);

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => service.RestoreAsync(plan, new RestoreOptions(), null, CancellationToken.None));
        Assert.Contains("was removed", e.Message);
        Assert.False(await ExistsAsync(plan.Target.ToString()));
    }

    /// <summary>The real rbd, whose create succeeds on the cluster and is then reported as cancelled.</summary>
    private sealed class CreateThenCancel(IRbd inner) : IRbd
    {
        public async Task CreateAsync(ImageRef image, long sizeBytes, CancellationToken ct)
        {
            await inner.CreateAsync(image, sizeBytes, ct);
            throw new OperationCanceledException("rbd create interrupted");
        }
        public Task<RbdImageInfo?> InfoAsync(ImageRef image, CancellationToken ct) => inner.InfoAsync(image, ct);
        public Task<bool> ExistsAsync(ImageRef image, CancellationToken ct) => inner.ExistsAsync(image, ct);
        public Task RemoveAsync(ImageRef image, CancellationToken ct) => inner.RemoveAsync(image, ct);
        public Task<IReadOnlyList<string>> ListImagesAsync(string pool, CancellationToken ct) => inner.ListImagesAsync(pool, ct);
        public Task<IReadOnlyList<RbdLock>> LockListAsync(ImageRef image, CancellationToken ct) => inner.LockListAsync(image, ct);
        public Task LockRemoveAsync(ImageRef image, RbdLock rbdLock, CancellationToken ct) => inner.LockRemoveAsync(image, rbdLock, ct);
        public Task SnapCreateAsync(ImageRef image, string snapshot, CancellationToken ct) => inner.SnapCreateAsync(image, snapshot, ct);
        public Task<IReadOnlyList<RbdSnapshot>> SnapListAsync(ImageRef image, CancellationToken ct) => inner.SnapListAsync(image, ct);
        public Task SnapRemoveAsync(ImageRef image, string snapshot, CancellationToken ct) => inner.SnapRemoveAsync(image, snapshot, ct);
        public Task SnapRenameAsync(ImageRef image, string snapshot, string newName, CancellationToken ct) => inner.SnapRenameAsync(image, snapshot, newName, ct);
        public Task SnapRollbackAsync(ImageRef image, string snapshot, CancellationToken ct) => inner.SnapRollbackAsync(image, snapshot, ct);
        public Task ExportDiffAsync(ImageRef image, string snapshot, string? fromSnapshot, Stream sink, CancellationToken ct) =>
            inner.ExportDiffAsync(image, snapshot, fromSnapshot, sink, ct);
        public Task ImportDiffAsync(ImageRef image, Stream source, CancellationToken ct) => inner.ImportDiffAsync(image, source, ct);
        public Task ExportAsync(ImageRef image, string? snapshot, Stream sink, CancellationToken ct) => inner.ExportAsync(image, snapshot, sink, ct);
    }

    [Fact]
    public async Task A_file_changed_after_the_check_is_caught_by_the_hash_on_the_way_in()
    {
        var img = await BackedUpImageAsync("JH", maxInc: 5, runs: 1);
        var plan = await CatalogPlanAsync("JH", img, "000001-000000");
        // A payload byte: rbd import-diff accepts the changed stream (exit 0) and would make a wrong disk.
        await FlipByteAsync(plan.Files[0].Path);
        var service = new RestoreService(Bed.Rbd, TimeProvider.System, Bed.Log);

        // As if the file changed between the pre-check and the import.
        var e = await Assert.ThrowsAsync<CephBackupException>(() => service.RestoreAsync(plan,
            new RestoreOptions { VerifyFirst = true, AlreadyVerified = new HashSet<string> { plan.Files[0].Path } }, null, CancellationToken.None));
        Assert.Equal(ExitCode.VerificationFailed, e.Code);
        Assert.Contains("does not match its recorded sha256", e.Message);
        Assert.Contains("was removed", e.Message);
        Assert.False(await ExistsAsync(plan.Target.ToString()));
    }

    [Fact]
    public async Task From_dir_restores_bit_exact_with_the_database_unreachable_and_refuses_points_without_sidecars()
    {
        var img = await BackedUpImageAsync("JO", maxInc: 5, runs: 3);
        var points = await PointsAsync(img);
        var chainDir = Path.GetDirectoryName(points[0].FilePath)!;
        var offlineDir = Directory.CreateDirectory(Path.Combine(Dir, "offline")).FullName;
        var offline = new CliRun(offlineDir, $"Server=127.0.0.1;Port={TestSmtpServer.FreePort()};Database=gone;User ID=u;Password=p;Connection Timeout=3", Bed.Smtp.Port);
        // The catalog form really cannot reach the database with this config...
        var viaDb = await offline.RunAsync("restore", "JO", img, "000001-000002", NewName());
        Assert.Equal((int)ExitCode.DatabaseError, viaDb.ExitCode);

        // ...while the folder form does not need it: chain folder, and image folder that contains the chain.
        foreach (var (folder, rp) in new[] { (chainDir, "000001-000002"), (Path.GetDirectoryName(chainDir)!, "000001-000001") })
        {
            var name = NewName();
            var r = await offline.RunAsync("restore", "--from-dir", folder, rp, name);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var snapshot = points.Single(p => p.RestorePoint == rp).Snapshot;
            Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@{snapshot}"), await TestRbd.Sha256Async(Spec(name)));
            Assert.Empty(await SnapNamesAsync(Spec(name)));
        }

        File.Delete(PointFiles.JsonFile(points[1].FilePath));
        var refused = NewName();
        var noSidecar = await offline.RunAsync("restore", "--from-dir", chainDir, "000001-000002", refused);
        Assert.Equal((int)ExitCode.VerificationFailed, noSidecar.ExitCode);
        Assert.Contains("needs 000001-000001, which is missing or has no usable sidecars", noSidecar.Stderr);
        Assert.False(await ExistsAsync(Spec(refused)));

        await FlipByteAsync(points[0].FilePath);
        var corrupt = await offline.RunAsync("restore", "--from-dir", chainDir, "000001-000000", refused);
        Assert.Equal((int)ExitCode.VerificationFailed, corrupt.ExitCode);
        Assert.Contains(points[0].FilePath, corrupt.Stderr);
        Assert.False(await ExistsAsync(Spec(refused)));
    }

    /// <summary>Reports synchronously on the caller's thread, so the test sees every report in order.</summary>
    private sealed class SyncProgress(Action<RestoreProgress> onReport) : IProgress<RestoreProgress>
    {
        public void Report(RestoreProgress value) => onReport(value);
    }
}
