using System.Diagnostics;
using System.Text.Json.Nodes;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Consistency;
using CephBackup.Core.Reporting;
using CephBackup.IntegrationTests.Ceph;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Consistency;

/// <summary>Hooks as real scripts around real snapshots (issue #14).</summary>
public class HookTests : BedTest
{
    private ConsistencyKit _kit = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _kit = new ConsistencyKit(_bed);
    }

    private Task<IReadOnlyList<BackupPoint>> Points(string image) => _bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None);

    private static int UniqueSleep() => 4000 + Random.Shared.Next(0, 900_000);

    private static bool IsSleep(string[] argv, int seconds) => argv is ["sleep", var s] && s == seconds.ToString();

    [Fact]
    public async Task Pre_hook_runs_before_every_snapshot_post_hook_after_them_and_before_any_export_with_argv_and_env()
    {
        var job = await _bed.AddJobAsync("HK", maxInc: 3);
        var a = await _bed.AddImageAsync(job, "vmh", size: 16L << 20);
        var b = await _bed.AddImageAsync(job, "vmh", size: 16L << 20);
        var hook = _kit.RecordingHook("hook.sh");
        var options = new ConsistencyOptions
        {
            Hooks = new HookOptions { PreSnapshot = [hook, "{job}", "{vm}", "{point}", "two words", "$HOME;x"], PostSnapshot = [hook, "post {vm}"] },
        };

        var outcome = await _kit.ExecAsync(options);

        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var (ra, rb) = ($"{TestEnv.Pool}/{a}", $"{TestEnv.Pool}/{b}");
        string[] first = [ra, rb];
        var images = string.Join(' ', first.Order(StringComparer.Ordinal));
        Assert.Equal([
            "hook pre-snapshot",
            "arg HK", "arg vmh", "arg 000001-000000", "arg two words", "arg $HOME;x",
            "CEPHBACKUP_DOMAIN=vmh", $"CEPHBACKUP_IMAGES={images}", "CEPHBACKUP_JOB=HK", "CEPHBACKUP_PHASE=pre-snapshot",
            "CEPHBACKUP_POINT=000001-000000", "CEPHBACKUP_POINTS=000001-000000 000001-000000", "CEPHBACKUP_VM=vmh",
            .. images.Split(' ').Select(i => $"snaps {i} 0"), "points 0",
            "hook post-snapshot",
            "arg post vmh",
            "CEPHBACKUP_DOMAIN=vmh", $"CEPHBACKUP_IMAGES={images}", "CEPHBACKUP_JOB=HK", "CEPHBACKUP_PHASE=post-snapshot",
            "CEPHBACKUP_POINT=000001-000000", "CEPHBACKUP_POINTS=000001-000000 000001-000000", "CEPHBACKUP_VM=vmh",
            .. images.Split(' ').Select(i => $"snaps {i} 1"), "points 0",
        ], _kit.TraceLines());
        Assert.Equal(PointConsistency.Crash, Assert.Single(await Points(a)).Consistency);
        Assert.Equal(PointConsistency.Crash, Assert.Single(await Points(b)).Consistency);
        Assert.All(outcome.Jobs[0].Images, i => Assert.Equal("crash", i.Consistency));
        Assert.Empty(outcome.Jobs[0].Warnings);
    }

    [Fact]
    public async Task A_hanging_pre_hook_is_killed_with_its_grandchild_after_the_timeout_and_the_backup_continues_crash_consistent()
    {
        var job = await _bed.AddJobAsync("HT", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vmt", size: 16L << 20);
        var secs = UniqueSleep();
        var pre = _kit.Script("pre.sh", $"sleep {secs} &\nsleep {secs}\nwait");
        var post = _kit.RecordingHook("post.sh");

        var outcome = await _kit.ExecAsync(new ConsistencyOptions
        {
            Hooks = new HookOptions { PreSnapshot = [pre], PostSnapshot = [post], Timeout = TimeSpan.FromSeconds(2) },
        });

        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Empty(await ProcScan.WaitForCountAsync(a => IsSleep(a, secs), 0, TimeSpan.FromSeconds(5)));
        Assert.Equal("vmt: pre-snapshot hook timed out after 2 s (its process tree was killed): snapshots taken anyway (crash-consistent)",
            Assert.Single(outcome.Jobs[0].Warnings));
        Assert.Contains("hook post-snapshot", _kit.TraceLines());
        Assert.Equal(PointConsistency.Crash, Assert.Single(await Points(img)).Consistency);
        var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.Contains("pre-snapshot hook timed out", mail.TextBody);
    }

    [Fact]
    public async Task Skip_vm_fails_that_vms_images_without_a_snapshot_runs_the_post_hook_and_backs_up_the_other_vms()
    {
        var job = await _bed.AddJobAsync("HS", maxInc: 3);
        var bad = await _bed.AddImageAsync(job, "vmbad", size: 16L << 20);
        var good = await _bed.AddImageAsync(job, "vmgood", size: 16L << 20);
        var pre = _kit.Script("pre.sh", "[ \"$CEPHBACKUP_VM\" != vmbad ] || { echo 'cannot flush the database' >&2; exit 4; }");
        var post = _kit.RecordingHook("post.sh");

        var outcome = await _kit.ExecAsync(new ConsistencyOptions
        {
            Hooks = new HookOptions { PreSnapshot = [pre], PostSnapshot = [post], OnFailure = HookFailurePolicy.SkipVm },
        });

        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        var failed = outcome.Jobs[0].Images.Single(i => i.Image == bad);
        Assert.Equal(ImageResult.Failed, failed.Result);
        Assert.Equal("pre-snapshot hook exited with code 4: cannot flush the database (Hooks:OnFailure = skip-vm: no snapshot taken)", failed.Detail);
        Assert.Empty(await Points(bad));
        Assert.DoesNotContain(" BK-", await TestRbd.RunAsync("snap", "ls", $"{TestEnv.Pool}/{bad}"));
        Assert.Single(await Points(good));
        Assert.Equal(["hook post-snapshot", "hook post-snapshot"], _kit.TraceLines().Where(l => l.StartsWith("hook ")));
        Assert.Contains("CEPHBACKUP_VM=vmbad", _kit.TraceLines());
    }

    [Fact]
    public async Task The_post_hook_runs_after_a_failed_snapshot()
    {
        var job = await _bed.AddJobAsync("HF", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vmf", size: 16L << 20);
        // The pre-hook removes the image, so `rbd snap create` fails. (A snapshot of the planned name would not do:
        // it counts as an interrupted run's leftover, removed before the snapshot is taken, docs/EXEC.md.)
        var pre = _kit.Script("pre.sh", "rbd rm --no-progress \"${CEPHBACKUP_IMAGES%% *}\"");
        var post = _kit.RecordingHook("post.sh");

        var outcome = await _kit.ExecAsync(new ConsistencyOptions { Hooks = new HookOptions { PreSnapshot = [pre], PostSnapshot = [post] } });

        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        var report = Assert.Single(outcome.Jobs[0].Images);
        Assert.Equal(ImageResult.Failed, report.Result);
        Assert.Contains("No such file or directory", report.Detail);
        Assert.Empty(await Points(img));
        Assert.Equal(["hook post-snapshot"], _kit.TraceLines().Where(l => l.StartsWith("hook ")));
    }

    [Fact]
    public async Task Sigterm_to_a_real_cephbackup_during_the_pre_hook_kills_the_hook_and_still_runs_the_post_hook()
    {
        var job = await _bed.AddJobAsync("HX", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vmx", size: 16L << 20);
        var secs = UniqueSleep();
        var marker = Path.Combine(_kit.Dir, "pre-started");
        var pre = _kit.Script("pre.sh", $"touch '{marker}'\nsleep {secs}");
        var post = _kit.RecordingHook("post.sh");
        var cli = new CliRun(_kit.Dir, _bed.Db.ConnectionString, _bed.Smtp.Port);
        ConsistencyKit.AddConfig(cli, "Hooks", new JsonObject
        {
            ["PreSnapshot"] = new JsonArray(pre), ["PostSnapshot"] = new JsonArray(post, "{vm}"), ["TimeoutSeconds"] = 120,
        });

        var psi = new ProcessStartInfo("dotnet");
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "cephbackup.dll"), "exec", "--config", cli.ConfigPath }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var sw = Stopwatch.StartNew();
        while (!File.Exists(marker) && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
        Assert.True(File.Exists(marker), "the pre-hook never started: " + cli.AllLogs());

        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);

        Assert.Equal((int)ExitCode.Cancelled, p.ExitCode);
        Assert.Contains("hook post-snapshot", _kit.TraceLines());
        Assert.Contains("arg vmx", _kit.TraceLines());
        Assert.Contains($"snaps {TestEnv.Pool}/{img} 0", _kit.TraceLines());
        Assert.Empty(await ProcScan.WaitForCountAsync(a => IsSleep(a, secs), 0, TimeSpan.FromSeconds(5)));
        Assert.Empty(await Points(img));
    }
}
