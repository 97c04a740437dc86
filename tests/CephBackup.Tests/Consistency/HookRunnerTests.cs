using CephBackup.Core.Consistency;

namespace CephBackup.Tests.Consistency;

public class HookRunnerTests
{
    private static readonly VmScope Scope = new("nightly", "web01", "web01-prod", ["rbd/web01-d0", "ssd/web01-d1"], ["000002-000003", "000001-000000"]);

    [Fact]
    public void Placeholders_are_replaced_inside_each_argument_and_nothing_is_split()
    {
        var argv = HookRunner.Expand(["/hooks/pre", "--vm={vm}", "{job}/{vm}@{point}", "a b;rm -rf /", "{other}"], Scope);
        Assert.Equal(["/hooks/pre", "--vm=web01", "nightly/web01@000002-000003", "a b;rm -rf /", "{other}"], argv);
    }

    [Fact]
    public void Environment_names_the_job_vm_images_point_and_phase()
    {
        var env = HookRunner.Environment(HookPhase.PostSnapshot, Scope);
        Assert.Equal("nightly", env["CEPHBACKUP_JOB"]);
        Assert.Equal("web01", env["CEPHBACKUP_VM"]);
        Assert.Equal("web01-prod", env["CEPHBACKUP_DOMAIN"]);
        Assert.Equal("rbd/web01-d0 ssd/web01-d1", env["CEPHBACKUP_IMAGES"]);
        Assert.Equal("000002-000003", env["CEPHBACKUP_POINT"]);
        Assert.Equal("000002-000003 000001-000000", env["CEPHBACKUP_POINTS"]);
        Assert.Equal("post-snapshot", env["CEPHBACKUP_PHASE"]);
        Assert.Equal("pre-snapshot", HookRunner.Environment(HookPhase.PreSnapshot, Scope)["CEPHBACKUP_PHASE"]);
    }

    [Fact]
    public void Unknown_placeholders_are_found_for_the_config_check()
    {
        Assert.Equal(["{vmname}", "{image}"], HookRunner.UnknownPlaceholders(["/x", "{vmname}", "{job}-{image}", "{vmname}"]));
        Assert.Empty(HookRunner.UnknownPlaceholders(["/x", "{job}", "{vm}{point}", "{}", "{1}", "${home}", "${CEPHBACKUP_VM}", "{Job}"]));
    }

    [Fact]
    public async Task A_hook_runs_with_its_argv_environment_and_timeout_and_without_stdout_capture()
    {
        var runner = new ScriptedRunner();
        var hooks = new HookRunner(new HookOptions { PreSnapshot = ["/hooks/pre", "{vm}"], Timeout = TimeSpan.FromSeconds(7) }, runner);

        var r = await hooks.RunAsync(HookPhase.PreSnapshot, Scope, default);

        Assert.True(r!.Ok);
        var spec = Assert.Single(runner.Calls).Spec;
        Assert.Equal("/hooks/pre", spec.FileName);
        Assert.Equal(["web01"], spec.Arguments);
        Assert.Equal(TimeSpan.FromSeconds(7), spec.Timeout);
        Assert.Equal("pre-snapshot", spec.Environment["CEPHBACKUP_PHASE"]);
        Assert.Same(Stream.Null, spec.StdoutSink);
        Assert.Null(await hooks.RunAsync(HookPhase.PostSnapshot, Scope, default));
        Assert.Single(runner.Calls);
    }

    [Fact]
    public async Task Exit_codes_and_timeouts_become_one_line_errors_with_the_last_stderr_line()
    {
        var runner = new ScriptedRunner().On("/hooks/pre", ScriptedRunner.Exit(3, "starting\ndatabase refused FLUSH\n"))
                                         .On("/hooks/post", ScriptedRunner.TimedOut());
        var hooks = new HookRunner(new HookOptions { PreSnapshot = ["/hooks/pre"], PostSnapshot = ["/hooks/post"], Timeout = TimeSpan.FromSeconds(2) }, runner);

        var pre = await hooks.RunAsync(HookPhase.PreSnapshot, Scope, default);
        var post = await hooks.RunAsync(HookPhase.PostSnapshot, Scope, default);

        Assert.Equal("pre-snapshot hook exited with code 3: database refused FLUSH", pre!.Error);
        Assert.Equal("post-snapshot hook timed out after 2 s (its process tree was killed)", post!.Error);
        Assert.True(post.TimedOut);
    }

    [Fact]
    public async Task A_hook_that_cannot_be_started_is_a_failure_not_a_crash()
    {
        var runner = new ScriptedRunner().On("/missing/hook", (_, _) => throw new CephBackup.Core.CephBackupException(CephBackup.Core.ExitCode.CephError, "cannot run '/missing/hook': No such file or directory"));
        var hooks = new HookRunner(new HookOptions { PreSnapshot = ["/missing/hook"] }, runner);
        var r = await hooks.RunAsync(HookPhase.PreSnapshot, Scope, default);
        Assert.Equal("pre-snapshot hook: cannot run '/missing/hook': No such file or directory", r!.Error);
    }
}
