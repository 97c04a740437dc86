using CephBackup.Core.Consistency;
using Serilog.Core;

namespace CephBackup.Tests.Consistency;

/// <summary>The order and the always-undo rules of the window, over a scripted runner (the real processes: integration tests).</summary>
public class ConsistencyWindowTests
{
    private static readonly VmScope Scope = new("J", "web01", "dom-web01", ["rbd/a"], ["000001-000000"]);

    private static ConsistencyService Service(ScriptedRunner runner, HookFailurePolicy onFailure = HookFailurePolicy.Continue, bool libvirt = true) =>
        new(new ConsistencyOptions
        {
            Hooks = new HookOptions { PreSnapshot = ["/pre"], PostSnapshot = ["/post"], OnFailure = onFailure },
            Libvirt = new LibvirtOptions { Enabled = libvirt, Uri = "test:///x" },
        }, runner, Logger.None);

    [Fact]
    public async Task Pre_hook_freeze_then_thaw_post_hook_and_the_points_are_fs_frozen()
    {
        var runner = new ScriptedRunner();
        var w = await Service(runner).EnterAsync(Scope, default);
        Assert.Equal(["/pre", "domfsfreeze"], runner.Steps);
        await w.DisposeAsync();
        await w.DisposeAsync(); // idempotent: nothing runs twice

        Assert.Equal(["/pre", "domfsfreeze", "domfsthaw", "/post"], runner.Steps);
        Assert.Equal(PointConsistency.FsFrozen, w.Consistency);
        Assert.Empty(w.Warnings);
        Assert.Equal(["-c", "test:///x", "domfsfreeze", "--domain", "dom-web01"], runner.Calls[1].Spec.Arguments);
    }

    [Fact]
    public async Task A_guest_without_agent_is_crash_consistent_with_a_warning_and_is_still_thawed()
    {
        var runner = new ScriptedRunner().On("domfsfreeze", ScriptedRunner.Exit(1, "error: Guest agent is not responding: QEMU guest agent is not connected"));
        var w = await Service(runner).EnterAsync(Scope, default);
        await w.DisposeAsync();

        Assert.Equal(PointConsistency.Crash, w.Consistency);
        Assert.Equal(["/pre", "domfsfreeze", "domfsthaw", "/post"], runner.Steps);
        Assert.Contains("web01: guest filesystems not frozen, crash-consistent backup: virsh domfsfreeze dom-web01 failed with exit code 1: error: Guest agent is not responding", Assert.Single(w.Warnings));
    }

    [Fact]
    public async Task Zero_frozen_filesystems_is_not_fs_frozen()
    {
        var runner = new ScriptedRunner().On("domfsfreeze", ScriptedRunner.Ok("Froze 0 filesystem(s)\n"));
        var w = await Service(runner).EnterAsync(Scope, default);
        await w.DisposeAsync();
        Assert.Equal(PointConsistency.Crash, w.Consistency);
        Assert.Contains("said 'Froze 0 filesystem(s)'", Assert.Single(w.Warnings));
    }

    [Fact]
    public async Task A_failed_thaw_is_retried_once_and_then_reported_loudly()
    {
        var runner = new ScriptedRunner().On("domfsthaw", ScriptedRunner.Exit(1, "error: agent went away"));
        var w = await Service(runner).EnterAsync(Scope, default);
        await w.DisposeAsync();
        Assert.Equal(["/pre", "domfsfreeze", "domfsthaw", "domfsthaw", "/post"], runner.Steps);
        Assert.Contains("THAW FAILED", Assert.Single(w.Warnings));
        Assert.Equal(PointConsistency.FsFrozen, w.Consistency); // the snapshots were taken frozen all the same
    }

    [Fact]
    public async Task A_failing_pre_hook_continues_crash_consistent_by_default()
    {
        var runner = new ScriptedRunner().On("/pre", ScriptedRunner.Exit(2, "no"));
        var w = await Service(runner, libvirt: false).EnterAsync(Scope, default);
        await w.DisposeAsync();
        Assert.Null(w.SkipReason);
        Assert.Equal(["/pre", "/post"], runner.Steps);
        Assert.Equal("web01: pre-snapshot hook exited with code 2: no: snapshots taken anyway (crash-consistent)", Assert.Single(w.Warnings));
    }

    [Fact]
    public async Task Skip_vm_takes_no_freeze_but_still_runs_the_post_hook()
    {
        var runner = new ScriptedRunner().On("/pre", ScriptedRunner.TimedOut());
        var w = await Service(runner, HookFailurePolicy.SkipVm).EnterAsync(Scope, default);
        await w.DisposeAsync();
        Assert.Contains("timed out", w.SkipReason);
        Assert.Contains("skip-vm", w.SkipReason);
        Assert.Equal(["/pre", "/post"], runner.Steps);
    }

    [Fact]
    public async Task Cancelled_during_the_freeze_thaws_and_runs_the_post_hook_uncancelled_then_rethrows()
    {
        using var cts = new CancellationTokenSource();
        var runner = new ScriptedRunner().On("domfsfreeze", async (_, ct) => { await cts.CancelAsync(); ct.ThrowIfCancellationRequested(); return ScriptedRunner.Ok(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Service(runner).EnterAsync(Scope, cts.Token));

        Assert.Equal(["/pre", "domfsfreeze", "domfsthaw", "/post"], runner.Steps);
        Assert.False(runner.Calls[2].Ct.CanBeCanceled);
        Assert.False(runner.Calls[3].Ct.CanBeCanceled);
    }

    [Fact]
    public async Task Nothing_configured_runs_nothing_and_is_crash()
    {
        var runner = new ScriptedRunner();
        var w = await new ConsistencyService(ConsistencyOptions.Off, runner, Logger.None).EnterAsync(Scope, default);
        await w.DisposeAsync();
        Assert.Empty(runner.Calls);
        Assert.Equal(PointConsistency.Crash, w.Consistency);
        Assert.Null(await new ConsistencyService(ConsistencyOptions.Off, runner, Logger.None).CaptureDefinitionAsync(Scope, new List<string>(), default));
    }

    [Fact]
    public async Task The_definition_is_dumpxml_inactive_and_garbage_is_a_warning()
    {
        var runner = new ScriptedRunner().On("dumpxml", ScriptedRunner.Ok("<domain type='kvm'><name>dom-web01</name></domain>\n"));
        var warnings = new List<string>();
        var def = await Service(runner).CaptureDefinitionAsync(Scope, warnings, default);
        Assert.Equal(["-c", "test:///x", "dumpxml", "--domain", "dom-web01", "--inactive"], runner.Calls[0].Spec.Arguments);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("<domain type='kvm'><name>dom-web01</name></domain>\n"u8)), def!.Sha256);
        Assert.Empty(warnings);

        runner.On("dumpxml", ScriptedRunner.Ok("not xml"));
        Assert.Null(await Service(runner).CaptureDefinitionAsync(Scope, warnings, default));
        Assert.Contains("VM definition not saved", Assert.Single(warnings));
    }
}
