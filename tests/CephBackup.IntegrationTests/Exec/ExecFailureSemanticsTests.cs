using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Exec;

/// <summary>The failure semantics of issue #10: no failure strands a chain or leaves a wrong restore point.</summary>
public class ExecFailureSemanticsTests : BedTest
{
    private static Task<string> Snaps(string image) => TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{image}");

    private Task<string> SourceSha(string image, string snap) => TestRbd.Sha256Async($"{TestEnv.Pool}/{image}@{snap}");

    [Fact]
    public async Task A_renamed_vm_keeps_backing_up_in_a_new_chain_and_its_earlier_points_stay_listed_and_restorable()
    {
        var job = await _bed.AddJobAsync("REN", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "web");
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        await BackupBed.ChangeAsync(img);
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var before = await SourceSha(img, "BK-000001-000001");

        await _bed.Db.ExecAsync($"UPDATE vms SET vm = 'web-new' WHERE image = '{img}'");
        await BackupBed.ChangeAsync(img);
        var renamed = await _bed.ExecAsync();
        Assert.Equal(ExitCode.Ok, renamed.ExitCode);
        var line = Assert.Single(renamed.Jobs[0].Images);
        Assert.Equal("000002-000000", line.RestorePoint);
        Assert.Contains("was made under VM 'web'", line.Detail);
        Assert.True(File.Exists(Path.Combine(_bed.Root, "REN", "web-new", img, "000002", "000000")));
        Assert.Contains("BK-000001-000001", await Snaps(img)); // the recorded point's snapshot was not taken for a leftover
        await BackupBed.ChangeAsync(img);
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        Assert.Equal(["000001-000000", "000001-000001", "000002-000000", "000002-000001"], (await PointsAsync(img)).Select(p => p.RestorePoint));

        var listed = await new ListService(_bed.Catalog).ListAsync(new ListRequest { Vm = "web-new" }, CancellationToken.None);
        Assert.Equal(4, listed.Count);
        var plan = await RestoreSources.FromCatalogAsync(_bed.Catalog, _bed.Ceph,
            new CatalogRestoreRequest { Job = "REN", Image = img, RestorePoint = "000001-000001", NewName = "cbt-r-" + TestEnv.Unique() }, CancellationToken.None);
        Assert.Equal(2, plan.Files.Count);
        Assert.Equal(before, await _bed.RestoreByHandAsync((await PointsAsync(img)).Take(2)));
    }

    [Fact]
    public async Task One_image_linked_under_two_vms_of_a_job_is_backed_up_once_with_a_warning_and_never_stalls()
    {
        var job = await _bed.AddJobAsync("TWO", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "alpha");
        await _bed.LinkAsync(job, "beta", img);
        for (var i = 0; i < 2; i++)
        {
            var outcome = await _bed.ExecAsync();
            Assert.Equal(ExitCode.Ok, outcome.ExitCode);
            Assert.Single(outcome.Jobs[0].Images);
            Assert.Contains(outcome.Jobs[0].Warnings, w => w.Contains("linked to several VMs") && w.Contains("alpha") && w.Contains("beta"));
        }
        Assert.Equal(["000001-000000", "000001-000001"], (await PointsAsync(img)).Select(p => p.RestorePoint));
    }

    [Fact]
    public async Task A_commit_whose_outcome_is_unknown_is_re_read_and_a_recorded_point_is_never_undone()
    {
        var job = await _bed.AddJobAsync("UNK", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "vmu");
        // The server committed, then the connection died before the client heard so.
        var lying = AfterCall<ICatalog>.Wrap(_bed.Catalog, nameof(ICatalog.RecordPointAsync),
            () => throw new CatalogException("catalog database: Connection reset by peer", outcomeUnknown: true));
        var outcome = await BedApp.Create(_bed, catalog: lying).Backup().RunAsync(new ExecRequest(), CancellationToken.None);
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var p = Assert.Single(await PointsAsync(img));
        Assert.True(File.Exists(p.FilePath));
        Assert.Contains("BK-000001-000000", await Snaps(img));
        Assert.Equal(await SourceSha(img, "BK-000001-000000"), await _bed.RestoreByHandAsync([p]));
    }

    [Fact]
    public async Task A_commit_that_did_not_happen_is_undone_and_the_next_run_makes_the_same_point()
    {
        var job = await _bed.AddJobAsync("UNK2", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "vmu");
        var lost = BeforeCall<ICatalog>.Wrap(_bed.Catalog, nameof(ICatalog.RecordPointAsync),
            () => throw new CatalogException("catalog database: Connection reset by peer", outcomeUnknown: true));
        var outcome = await BedApp.Create(_bed, catalog: lost).Backup().RunAsync(new ExecRequest(), CancellationToken.None);
        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Empty(await PointsAsync(img));
        Assert.False(File.Exists(Path.Combine(_bed.Root, "UNK2", "vmu", img, "000001", "000000")));
        Assert.DoesNotContain("BK-000001-000000", await Snaps(img));
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        Assert.Equal("000001-000000", Assert.Single(await PointsAsync(img)).RestorePoint);
    }

    [Fact]
    public async Task A_run_that_lost_its_lock_to_another_run_never_renames_deletes_or_records_the_other_runs_point()
    {
        var job = await _bed.AddJobAsync("FEN", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "vmf");
        Task<ExecOutcome>? second = null;
        // While the first run exports, its job lease runs out and a second run takes the job and finishes it.
        var rbd = AfterCall<IRbd>.Wrap(_bed.Rbd, nameof(IRbd.ExportDiffAsync), () =>
        {
            KillLockConnectionAsync().GetAwaiter().GetResult();
            second = _bed.Service().RunAsync(new ExecRequest(), CancellationToken.None);
            second.GetAwaiter().GetResult();
        });
        var first = await BedApp.Create(_bed, rbd: rbd).Backup().RunAsync(new ExecRequest(), CancellationToken.None);
        Assert.NotNull(second);
        Assert.Equal(ExitCode.Ok, (await second).ExitCode);
        Assert.Equal(ExitCode.PartialFailure, first.ExitCode);
        Assert.Contains("lost the job lock", first.Jobs[0].Images[0].Detail);

        var p = Assert.Single(await PointsAsync(img));
        Assert.Equal(p.Sha256, PointFiles.ReadSha(p.FilePath));
        Assert.Equal(p.Sha256, await PointFiles.Sha256OfFileAsync(p.FilePath, CancellationToken.None));
        Assert.Contains("BK-000001-000000", await Snaps(img));
        Assert.Equal(await SourceSha(img, "BK-000001-000000"), await _bed.RestoreByHandAsync([p]));
    }

    /// <summary>What a stalled host looks like to the others: its job lease ran out, so a second run may take the job.</summary>
    private async Task KillLockConnectionAsync()
    {
        await using var conn = new MySqlConnection(_bed.Db.ConnectionString);
        await conn.OpenAsync();
        await using var expire = new MySqlCommand(
            "UPDATE cephbackup_leases SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE kind = 'job'", conn);
        Assert.Equal(1, await expire.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task A_full_renamed_but_not_recorded_before_a_crash_is_adopted_by_the_next_run_not_orphaned()
    {
        var job = await _bed.AddJobAsync("ADO", maxInc: 1);
        var img = await _bed.AddImageAsync(job, "vma");
        for (var i = 0; i < 3; i++) { Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode); await BackupBed.ChangeAsync(img); }
        // Runs 1-3 made 1-0, 1-1, 2-0 (rotation). The crash: 2-0 is on disk with its sidecars, its row never written.
        await _bed.Db.ExecAsync($"DELETE FROM cephbackup_points WHERE image = '{img}' AND chain = 2");
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Contains("adopted 000002-000000", outcome.Jobs[0].Images[0].Detail);
        var points = await PointsAsync(img);
        Assert.Equal(["000001-000000", "000001-000001", "000002-000000", "000002-000001"], points.Select(p => p.RestorePoint));
        Assert.False(Directory.Exists(Path.Combine(_bed.Root, "ADO", "vma", img, "000003")), "an orphan chain was started");
        Assert.Equal(await SourceSha(img, "BK-000002-000001"), await _bed.RestoreByHandAsync(points.Skip(2)));
    }

    [Fact]
    public async Task A_damaged_unrecorded_full_is_removed_and_made_again_never_adopted()
    {
        var job = await _bed.AddJobAsync("ADX", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vmx");
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var file = (await PointsAsync(img))[0].FilePath;
        await _bed.Db.ExecAsync($"DELETE FROM cephbackup_points WHERE image = '{img}'");
        await using (var f = new FileStream(file, FileMode.Open, FileAccess.ReadWrite)) { f.Position = 100; var b = f.ReadByte(); f.Position = 100; f.WriteByte((byte)(b ^ 0xff)); }
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var p = Assert.Single(await PointsAsync(img));
        Assert.Equal("000001-000000", p.RestorePoint);
        Assert.Contains("does not match its checksum", _bed.LogText.ToString());
        Assert.Equal(await SourceSha(img, "BK-000001-000000"), await _bed.RestoreByHandAsync([p]));
    }

    [Fact]
    public async Task At_parallelism_1_the_next_vm_is_snapshotted_while_the_previous_one_exports_and_points_keep_the_job_order()
    {
        var job = await _bed.AddJobAsync("AHEAD", maxInc: 3);
        // vm-a has 192 MiB of data: its export lasts long enough for vm-b to plan and snapshot meanwhile.
        var big = "cbt-" + TestEnv.Unique();
        _bed.Images.Add(big);
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, big, 256L << 20, Enumerable.Range(0, 48).Select(i => ((long)i * (4 << 20), 4 << 20)).ToArray());
        await _bed.LinkAsync(job, "vm-a", big);
        var small = await _bed.AddImageAsync(job, "vm-b", size: 16L << 20);

        var outcome = await _bed.ExecAsync(parallelism: 1);
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var a = Assert.Single(await PointsAsync(big));
        var b = Assert.Single(await PointsAsync(small));
        Assert.True(b.StartedAt < a.EndedAt, $"vm-b started {b.StartedAt:O}, after vm-a's export ended {a.EndedAt:O}");
        Assert.True(a.Id < b.Id && b.EndedAt >= a.EndedAt, "a sequential run exports and records in the job's order");
        Assert.Equal(await SourceSha(big, "BK-000001-000000"), await _bed.RestoreByHandAsync([a]));
        Assert.Equal(await SourceSha(small, "BK-000001-000000"), await _bed.RestoreByHandAsync([b]));
    }

    [Fact]
    public async Task Parallel_and_sequential_runs_make_the_same_points_and_the_report_is_ordered_by_vm_and_image()
    {
        var job = await _bed.AddJobAsync("PAR", maxInc: 3);
        var disks = new List<(string Vm, string Img)>();
        foreach (var vm in new[] { "vm-b", "vm-a", "vm-c" })
            for (var d = 0; d < 2; d++) disks.Add((vm, await _bed.AddImageAsync(job, vm, size: 16L << 20)));
        var parallel = await _bed.ExecAsync(parallelism: 3);
        Assert.Equal(ExitCode.Ok, parallel.ExitCode);
        var expected = disks.OrderBy(d => d.Vm, StringComparer.Ordinal).ThenBy(d => d.Img, StringComparer.Ordinal).Select(d => $"{d.Vm}/{d.Img}");
        Assert.Equal(expected, parallel.Jobs[0].Images.Select(i => $"{i.Vm}/{i.Image}"));
        foreach (var (_, img) in disks) await BackupBed.ChangeAsync(img, 16L << 20);
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync(parallelism: 1)).ExitCode);
        foreach (var (vm, img) in disks)
        {
            var points = await PointsAsync(img);
            Assert.Equal(["000001-000000", "000001-000001"], points.Select(p => p.RestorePoint));
            Assert.All(points, p => Assert.Equal(vm, p.Vm));
            Assert.Equal(await SourceSha(img, "BK-000001-000001"), await _bed.RestoreByHandAsync(points));
        }
        var mails = await _bed.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        Assert.All(mails, m => Assert.Equal("[SUCCESS] CEPH Backup PAR (6 objects)", m.Message.Subject));
    }
}
