using System.Diagnostics;
using System.Text.RegularExpressions;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using Xunit.Abstractions;

namespace CephBackup.IntegrationTests.Fleet;

/// <summary>
/// Several backup hosts on one catalog on a real three-node Galera cluster: job leases hold across nodes (where
/// GET_LOCK did not), workers split a job's images, a killed worker's image and a stopped node heal.
/// </summary>
public sealed class FleetTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(4);
    private GaleraBed _bed = null!;
    public async Task InitializeAsync() => _bed = await GaleraBed.CreateAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_lease_taken_on_two_nodes_at_the_same_moment_is_granted_once()
    {
        var on1 = new LeaseJobLockProvider(_bed.ConnectionString(1));
        var on2 = new LeaseJobLockProvider(_bed.ConnectionString(2));
        for (var round = 0; round < 12; round++)
        {
            var job = 100 + round;
            var both = await Task.WhenAll(on1.TryAcquireAsync(job, "host1", 1, DateTime.UtcNow, default),
                                          on2.TryAcquireAsync(job, "host2", 2, DateTime.UtcNow, default));
            var winners = both.Where(l => l is not null).ToList();
            Assert.Single(winners);
            Assert.True(await winners[0]!.StillHeldAsync(default));
            foreach (var l in winners) await l!.DisposeAsync();
        }

        // The control: what the lease replaces is granted on both nodes at once (docs/SCALING.md).
        await using var named1 = await new MySqlJobLockProvider(_bed.ConnectionString(1)).TryAcquireAsync(1, "host1", 1, DateTime.UtcNow, default);
        await using var named2 = await new MySqlJobLockProvider(_bed.ConnectionString(2)).TryAcquireAsync(1, "host2", 2, DateTime.UtcNow, default);
        Assert.NotNull(named1);
        Assert.NotNull(named2);
    }

    [Fact]
    public async Task Two_execs_connected_to_two_nodes_never_run_the_same_job_at_once()
    {
        var job = await _bed.AddJobAsync("F2");
        var images = new List<string>();
        for (var i = 0; i < 3; i++) images.Add(await _bed.AddImageAsync(job, $"f2vm{i}", 32L << 20));

        using var first = _bed.StartExec(1, 120, "--job", "F2");
        // The second one starts once node 2 sees the first one's lease: with GET_LOCK it would have run too.
        var sw = Stopwatch.StartNew();
        while ((await _bed.LinesAsync("SELECT host FROM cephbackup_leases WHERE kind = 'job' AND expires_at > UTC_TIMESTAMP(6)", node: 2)).Count == 0)
        {
            Assert.False(first.HasExited, "the first exec ended before its lease was seen");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "no job lease appeared");
            await Task.Delay(20);
        }
        using var second = _bed.StartExec(2, 120, "--job", "F2");
        var (code2, err2) = await GaleraBed.WaitAsync(second, Slow);
        var (code1, err1) = await GaleraBed.WaitAsync(first, Slow);

        Assert.True(code1 == 0, err1);
        Assert.Equal((int)ExitCode.AlreadyRunning, code2);
        Assert.Contains("already running", err2 + string.Join("", _bed.Smtp.Messages.Select(m => m.TextBody)));
        var counts = await _bed.PointCountsAsync(node: 3);
        Assert.All(images, i => Assert.Equal(1, counts.GetValueOrDefault(i)));
    }

    [Fact]
    public async Task Three_workers_on_three_nodes_split_a_nine_image_job_and_back_up_each_image_once()
    {
        var job = await _bed.AddJobAsync("F9");
        var images = new List<string>();
        for (var i = 0; i < 9; i++) images.Add(await _bed.AddImageAsync(job, $"f9vm{i}"));

        var workers = Enumerable.Range(1, 3).Select(n => _bed.StartExec(n, 30, "--job", "F9", "--worker")).ToList();
        var results = await Task.WhenAll(workers.Select(w => GaleraBed.WaitAsync(w, Slow)));
        Assert.All(results, r => Assert.True(r.Code == 0, r.Stderr));

        var counts = await _bed.PointCountsAsync();
        Assert.Equal(images.Order(), counts.Keys.Order());
        Assert.All(images, i => Assert.Equal(1, counts[i]));
        // One report per worker, each naming its share; the shares add up to the job.
        var mails = await _bed.Smtp.WaitForMessagesAsync(3, TimeSpan.FromSeconds(20));
        var shares = mails.Select(m => Regex.Match(m.Message.TextBody ?? "", @"([0-9]+) of 9 images done by this worker")).ToList();
        Assert.All(shares, s => Assert.True(s.Success));
        Assert.Equal(9, shares.Sum(s => int.Parse(s.Groups[1].Value)));
        output.WriteLine("images per worker: " + string.Join(", ", shares.Select(s => s.Groups[1].Value)));

        // A worker starting late the same day finds the run done and backs up nothing again.
        using var late = _bed.StartExec(2, 30, "--job", "F9", "--worker");
        var (lateCode, lateErr) = await GaleraBed.WaitAsync(late, Slow);
        Assert.True(lateCode == 0, lateErr);
        Assert.All((await _bed.PointCountsAsync()).Values, c => Assert.Equal(1, c));
        workers.ForEach(w => w.Dispose());
    }

    [Fact]
    public async Task A_worker_killed_mid_export_leaves_its_image_to_the_next_run_nothing_lost_or_recorded_twice()
    {
        var job = await _bed.AddJobAsync("FK");
        var images = new List<string>();
        for (var i = 0; i < 3; i++) images.Add(await _bed.AddImageAsync(job, $"fkvm{i}", 32L << 20));

        // The victim's claims last 20 s, long enough for the second worker to find the killed image still claimed;
        // one export at a time, so that exactly one export is in flight when it dies.
        using var victim = _bed.StartExecWith(1, 20, 1, "--job", "FK", "--worker");
        var victimPid = victim.Id;
        var sw = Stopwatch.StartNew();
        while (!_bed.PartialFiles().Any() && !victim.HasExited && sw.Elapsed < TimeSpan.FromSeconds(90)) await Task.Delay(2);
        victim.Kill(entireProcessTree: false); // SIGKILL, as the OOM killer would
        await victim.WaitForExitAsync();
        var killedIn = Assert.Single(_bed.PartialFiles().Select(f => images.Single(i => f.Contains(i))).Distinct());
        output.WriteLine($"killed during the export of {killedIn} ({images.IndexOf(killedIn) + 1} of 3)");
        // What it still held: the VM it was exporting and, at most, the one it had claimed and snapshotted ahead.
        var held = (await _bed.LinesAsync($"SELECT lease_key FROM cephbackup_leases WHERE kind = 'image' AND pid = {victimPid} AND done_at IS NULL"))
            .Select(k => images.Single(i => k.EndsWith("/" + i, StringComparison.Ordinal))).ToList();
        Assert.Contains(killedIn, held);
        Assert.InRange(held.Count, 1, 2);

        // Another worker of the same run meanwhile: the images still claimed are skipped, the rest gets done.
        using var other = _bed.StartExec(2, 6, "--job", "FK", "--worker");
        var (code, err) = await GaleraBed.WaitAsync(other, Slow);
        Assert.True(code == 0, err);
        var afterSecond = await _bed.PointCountsAsync();
        Assert.Equal(images.Except(held).Order(), afterSecond.Keys.Order()); // skipped: still claimed

        // The next run (same day, after the lease expired) redoes only the killed image, from a clean state.
        while ((await _bed.LinesAsync("SELECT 1 FROM cephbackup_leases WHERE kind = 'image' AND expires_at > UTC_TIMESTAMP(6)")).Count > 0)
            await Task.Delay(500);
        using var next = _bed.StartExec(3, 6, "--job", "FK", "--worker");
        var (nextCode, nextErr) = await GaleraBed.WaitAsync(next, Slow);
        Assert.True(nextCode == 0, nextErr);

        var counts = await _bed.PointCountsAsync();
        Assert.All(images, i => Assert.Equal(1, counts.GetValueOrDefault(i)));
        Assert.Empty(_bed.PartialFiles());
        var points = await _bed.LinesAsync($"SELECT file_path FROM cephbackup_points WHERE image = '{killedIn}'");
        Assert.True(File.Exists(Assert.Single(points)));
    }

    [Fact]
    public async Task A_node_stopped_mid_run_lets_the_workers_on_the_others_finish_and_the_next_run_heals()
    {
        var job = await _bed.AddJobAsync("FN");
        var images = new List<string>();
        for (var i = 0; i < 9; i++) images.Add(await _bed.AddImageAsync(job, $"fnvm{i}"));

        // Node 3's worker holds its claims for 30 s: the others finish around them, and the next run heals them.
        var workers = Enumerable.Range(1, 3).Select(n => _bed.StartExec(n, n == 3 ? 30 : 6, "--job", "FN", "--worker")).ToList();
        try
        {
            var sw = Stopwatch.StartNew();
            // Stopped while node 3's worker is in the middle of an image (its claim row names its pid).
            var claimedBy3 = $"SELECT 1 FROM cephbackup_leases WHERE kind = 'image' AND pid = {workers[2].Id} AND done_at IS NULL AND expires_at > UTC_TIMESTAMP(6)";
            while ((await _bed.LinesAsync(claimedBy3)).Count == 0 && !workers[2].HasExited && sw.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(50);
            Assert.False(workers[2].HasExited, "node 3's worker ended before it claimed anything");
            await GaleraBed.ClusterAsync("stop", 3);
            var results = await Task.WhenAll(workers.Select(w => GaleraBed.WaitAsync(w, Slow)));
            Assert.True(results[0].Code == 0, results[0].Stderr);
            Assert.True(results[1].Code == 0, results[1].Stderr);
            // The worker on the stopped node fails cleanly: a database or partial-failure exit, no crash.
            Assert.Contains(results[2].Code, new[] { 0, (int)ExitCode.PartialFailure, (int)ExitCode.DatabaseError });
            output.WriteLine($"worker on the stopped node: exit {results[2].Code}; points before the heal: {(await _bed.PointCountsAsync()).Count} of 9");
        }
        finally
        {
            await GaleraBed.ClusterAsync("start", 3);
            workers.ForEach(w => w.Dispose());
        }

        while ((await _bed.LinesAsync("SELECT 1 FROM cephbackup_leases WHERE kind = 'image' AND expires_at > UTC_TIMESTAMP(6)")).Count > 0)
            await Task.Delay(500); // the claims of the stopped node's worker expire
        using var next = _bed.StartExec(3, 6, "--job", "FN", "--worker");
        var (code, err) = await GaleraBed.WaitAsync(next, Slow);
        Assert.True(code == 0, err);
        var counts = await _bed.PointCountsAsync(node: 3);
        Assert.All(images, i => Assert.Equal(1, counts.GetValueOrDefault(i)));
        Assert.Empty(_bed.PartialFiles());
    }
}
