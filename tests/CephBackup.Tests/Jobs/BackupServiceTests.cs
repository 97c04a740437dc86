using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using CephBackup.Tests.Fakes;

namespace CephBackup.Tests.Jobs;

/// <summary>exec's orchestration over hand-written fakes: fan-out, ordering, failure isolation, undo, fencing, cancel.</summary>
public sealed partial class BackupServiceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cbunit-").FullName;
    private readonly FakeCatalog _catalog = new();
    private readonly FakeRbd _rbd = new();
    private readonly FakeLocks _locks = new();
    private readonly FakeReporter _reporter = new();

    public void Dispose() => Directory.Delete(_root, true);

    private int Job(int maxInc = 3, int? maxParallel = null)
    {
        var id = _catalog.AddJob("J", maxInc, maxParallel);
        _catalog.SetPath(id, _root);
        return id;
    }

    private Task<ExecOutcome> RunAsync(int parallelism = 2, CancellationToken ct = default) =>
        new BackupService(new BackupDeps(_catalog, _rbd, TimeProvider.System, Serilog.Core.Logger.None), _locks, [_reporter],
                new CephOptions(), new BackupOptions { Parallelism = parallelism }, new MountTable(), new HostIdentity("h", 1))
            .RunAsync(new ExecRequest(), ct);

    [Theory]
    [InlineData(1, null, 1)]
    [InlineData(2, null, 2)]
    [InlineData(3, 2, 2)]
    public async Task Exports_run_at_most_parallelism_at_once_capped_by_the_jobs_max_parallel(int parallelism, int? maxParallel, int expected)
    {
        var job = Job(maxParallel: maxParallel);
        foreach (var vm in new[] { "a", "b", "c", "d" }) _catalog.Link(job, vm, $"img-{vm}");
        _rbd.ExportDelay = TimeSpan.FromMilliseconds(150);
        var outcome = await RunAsync(parallelism);
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal(expected, _rbd.MaxConcurrentExports);
        Assert.Equal(4, _catalog.Points.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_next_vm_is_planned_and_snapshotted_while_the_exports_run_but_only_one_vm_ahead(int parallelism)
    {
        var job = Job();
        var vms = new[] { "a", "b", "c", "d", "e" };
        foreach (var vm in vms) _catalog.Link(job, vm, $"img-{vm}");
        _rbd.ExportDelay = TimeSpan.FromMilliseconds(150);
        _rbd.SnapDelay["img-a"] = TimeSpan.FromMilliseconds(300); // b is ready first, yet a sequential run exports a first
        var outcome = await RunAsync(parallelism);
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal(parallelism, _rbd.MaxConcurrentExports);
        var calls = _rbd.Calls.ToList();
        var firstEnd = calls.FindIndex(c => c.StartsWith("exported ", StringComparison.Ordinal));
        // The VM after the first `parallelism` ones has its snapshot before any export ends (no idle gap)...
        Assert.True(calls.IndexOf($"snap img-{vms[parallelism]}") < firstEnd, string.Join(", ", calls));
        // ...but the one after it waits for a VM to finish: at most one VM is snapshotted ahead of the exports.
        Assert.True(calls.IndexOf($"snap img-{vms[parallelism + 1]}") > firstEnd, string.Join(", ", calls));
        var recorded = _catalog.Points.Values.OrderBy(p => p.Id).Select(p => p.Image).ToList();
        // Sequential runs keep recording in the job's order; parallel ones record as exports end.
        Assert.Equal(vms.Select(v => $"img-{v}"), parallelism == 1 ? recorded : recorded.Order());
    }

    [Fact]
    public async Task With_parallel_exports_a_vm_with_a_slow_snapshot_does_not_hold_back_the_vms_behind_it()
    {
        var job = Job();
        foreach (var vm in new[] { "a", "b", "c", "d" }) _catalog.Link(job, vm, $"img-{vm}");
        _rbd.SnapDelay["img-a"] = TimeSpan.FromMilliseconds(800);
        _rbd.ExportDelay = TimeSpan.FromMilliseconds(100);
        var outcome = await RunAsync(parallelism: 2);
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var calls = _rbd.Calls.ToList();
        Assert.True(calls.IndexOf("exported img-c") < calls.IndexOf("snap img-a"), string.Join(", ", calls));
    }

    [Fact]
    public async Task Every_disk_of_a_vm_is_snapshotted_before_any_of_its_exports_and_the_report_is_in_vm_image_order()
    {
        var job = Job();
        _catalog.Link(job, "vm2", "z-disk");
        _catalog.Link(job, "vm1", "b-disk");
        _catalog.Link(job, "vm1", "a-disk");
        var outcome = await RunAsync(parallelism: 3);
        var calls = _rbd.Calls.ToList();
        foreach (var disk in new[] { "a-disk", "b-disk" })
            Assert.True(calls.IndexOf($"snap {disk}") < calls.IndexOf("export a-disk") && calls.IndexOf($"snap {disk}") < calls.IndexOf("export b-disk"));
        Assert.Equal(["vm1/a-disk", "vm1/b-disk", "vm2/z-disk"], outcome.Jobs[0].Images.Select(i => $"{i.Vm}/{i.Image}"));
        Assert.Single(_reporter.Reports);
    }

    [Fact]
    public async Task A_failed_export_is_undone_and_never_stops_the_other_images()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "good");
        _catalog.Link(job, "vm1", "bad");
        _catalog.Link(job, "vm2", "other");
        _rbd.FailExport.Add("bad");
        var outcome = await RunAsync();
        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Equal([ImageResult.Failed, ImageResult.Success, ImageResult.Success], outcome.Jobs[0].Images.Select(i => i.Result));
        Assert.Equal(2, _catalog.Points.Count);
        Assert.Empty(_rbd.SnapshotsOf("bad"));
        Assert.False(Directory.EnumerateFiles(Path.Combine(_root, "J", "vm1", "bad"), "*", SearchOption.AllDirectories).Any());
        Assert.Single(_catalog.Failures);
    }

    [Fact]
    public async Task A_record_that_went_through_before_the_connection_died_counts_as_success_and_nothing_is_undone()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "img");
        _catalog.AfterRecord = _ => throw new CatalogException("connection lost", outcomeUnknown: true);
        var outcome = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var p = Assert.Single(_catalog.Points.Values);
        Assert.True(File.Exists(p.FilePath));
        Assert.Equal(["BK-000001-000000"], _rbd.SnapshotsOf("img"));
    }

    [Fact]
    public async Task Without_the_lock_nothing_is_renamed_recorded_or_deleted()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "img");
        _rbd.DuringExport = _ => _locks.Lose();
        var outcome = await RunAsync();
        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Contains("lost the job lock", outcome.Jobs[0].Images[0].Detail);
        Assert.Empty(_catalog.Points);
        var dir = Path.Combine(_root, "J", "vm1", "img", "000001");
        Assert.False(File.Exists(Path.Combine(dir, "000000")));
        Assert.True(File.Exists(Path.Combine(dir, "000000.partial")), "the partial belongs to whoever holds the job now: not ours to delete");
        Assert.Equal(["BK-000001-000000"], _rbd.SnapshotsOf("img"));
    }

    [Fact]
    public async Task A_cancelled_run_undoes_unfinished_points_and_still_reports_what_finished()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "first");
        _catalog.Link(job, "vm2", "second");
        using var cts = new CancellationTokenSource();
        _rbd.DuringExport = image => { if (image == "second") cts.Cancel(); };
        var outcome = await RunAsync(parallelism: 1, cts.Token);
        Assert.Equal(ExitCode.Cancelled, outcome.ExitCode);
        var report = Assert.Single(_reporter.Reports);
        Assert.True(report.Cancelled);
        Assert.Equal([ImageResult.Success, ImageResult.Failed], report.Images.Select(i => i.Result));
        Assert.Equal(["first"], _catalog.Points.Values.Select(p => p.Image));
        Assert.Empty(_rbd.SnapshotsOf("second"));
        Assert.False(Directory.EnumerateFiles(Path.Combine(_root, "J", "vm2"), "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task A_cancel_undoes_the_snapshot_of_the_vm_that_was_waiting_for_its_export_slot()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "first");
        _catalog.Link(job, "vm2", "waiting");
        _catalog.Link(job, "vm3", "never");
        using var cts = new CancellationTokenSource();
        _rbd.ExportDelay = TimeSpan.FromMilliseconds(300);
        _rbd.DuringExport = image => { if (image == "first") cts.Cancel(); };
        var outcome = await RunAsync(parallelism: 1, cts.Token);
        Assert.Equal(ExitCode.Cancelled, outcome.ExitCode);
        Assert.Contains("snap waiting", _rbd.Calls); // it was snapshotted ahead of its export...
        Assert.Empty(_rbd.SnapshotsOf("waiting"));  // ...and the signal undid it
        Assert.DoesNotContain("export waiting", _rbd.Calls);
        Assert.Empty(_rbd.SnapshotsOf("never"));
        Assert.Empty(_catalog.Points);
        var left = new[] { "vm1", "vm2", "vm3" }.Select(vm => Path.Combine(_root, "J", vm)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)).ToList();
        Assert.True(left.Count == 0, string.Join(", ", left));
        Assert.All(outcome.Jobs[0].Images, i => Assert.Equal(ImageResult.Failed, i.Result));
    }

    [Fact]
    public async Task A_renamed_vm_starts_a_new_chain_numbered_after_the_images_earlier_chains()
    {
        var job = Job();
        _catalog.Link(job, "old", "img");
        await RunAsync();
        _catalog.Links[0] = _catalog.Links[0] with { Vm = "new" };
        var outcome = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal("000002-000000", outcome.Jobs[0].Images[0].RestorePoint);
        Assert.True(File.Exists(Path.Combine(_root, "J", "new", "img", "000002", "000000")));
        Assert.Equal(["BK-000001-000000", "BK-000002-000000"], _rbd.SnapshotsOf("img"));
    }

    [Fact]
    public async Task An_image_linked_twice_is_backed_up_once()
    {
        var job = Job();
        _catalog.Link(job, "a", "img");
        _catalog.Link(job, "b", "rbd/img");
        var outcome = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Single(outcome.Jobs[0].Images);
        Assert.Contains(outcome.Jobs[0].Warnings, w => w.Contains("linked to several VMs"));
    }

    [Fact]
    public async Task A_dry_run_plans_every_image_and_writes_nothing()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "img");
        var outcome = await new BackupService(new BackupDeps(_catalog, _rbd, TimeProvider.System, Serilog.Core.Logger.None), _locks, [_reporter],
            new CephOptions(), new BackupOptions(), new MountTable(), new HostIdentity("h", 1)).RunAsync(new ExecRequest { DryRun = true }, CancellationToken.None);
        Assert.Equal("job J: run (no schedule restriction), mode incremental, max_inc 3, prefix BK\n  vm1/img: FULL 000001-000000 snapshot BK-000001-000000 from - (first backup of this image)\n",
            DryRunFormatter.Text(outcome.Jobs).ReplaceLineEndings("\n"));
        Assert.Empty(_reporter.Reports);
        Assert.Empty(_rbd.SnapshotsOf("img"));
        Assert.False(Directory.Exists(Path.Combine(_root, "J")));
    }
}
