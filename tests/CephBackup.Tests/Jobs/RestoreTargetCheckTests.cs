using CephBackup.Core;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.Tests.Fakes;
using Serilog.Core;

namespace CephBackup.Tests.Jobs;

/// <summary>The pool and name check of a catalog restore runs alongside the catalog reads (RestoreService.PlanAsync).</summary>
public class RestoreTargetCheckTests
{
    private static readonly ImageRef Target = new("rbd", "web01-disk-r");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly FakeRbd _rbd = new();

    private RestoreService Service() => new(_rbd, TimeProvider.System, Logger.None);

    private static RestorePlan PlanFor(ImageRef target) => new("job J, vm/web01-disk", "000001-000000", target, 1 << 20, []);

    [Fact]
    public async Task The_target_is_checked_while_the_plan_is_being_made()
    {
        var listing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _rbd.ListImages = (_, _) => { listing.TrySetResult(); return Task.FromResult<IReadOnlyList<string>>(["other"]); };

        // The plan only finishes once rbd ls has started: run one after the other, this would time out.
        var (plan, checkedTarget) = await Service().PlanAsync(Target, async () =>
        {
            await listing.Task.WaitAsync(Patience);
            return PlanFor(Target);
        }, default);

        Assert.Equal(Target, plan.Target);
        Assert.True(checkedTarget);
    }

    [Fact]
    public async Task A_failing_plan_reports_its_own_error_at_once_and_stops_the_check()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _rbd.ListImages = async (_, ct) =>
        {
            // A cluster that does not answer: only a cancellation ends this.
            try { await Task.Delay(Timeout.Infinite, ct); }
            finally { stopped.TrySetResult(); }
            return [];
        };

        var e = await Assert.ThrowsAsync<CephBackupException>(() => Service().PlanAsync(Target,
            () => Task.FromException<RestorePlan>(new CephBackupException(ExitCode.InvalidInput, "unknown job 'J'")), default).WaitAsync(Patience));

        Assert.Equal("unknown job 'J'", e.Message);
        Assert.True(stopped.Task.IsCompleted);
    }

    [Fact]
    public async Task A_taken_name_is_refused_after_a_good_plan_and_a_bad_plan_wins_over_it()
    {
        _rbd.ListImages = (_, _) => Task.FromResult<IReadOnlyList<string>>([Target.Name]);

        var taken = await Assert.ThrowsAsync<CephBackupException>(() => Service().PlanAsync(Target, () => Task.FromResult(PlanFor(Target)), default));
        Assert.Equal(ExitCode.InvalidInput, taken.Code);
        Assert.Contains("already exists", taken.Message);

        var first = await Assert.ThrowsAsync<CephBackupException>(() => Service().PlanAsync(Target,
            () => Task.FromException<RestorePlan>(new CephBackupException(ExitCode.VerificationFailed, "needs an unverified point")), default));
        Assert.Equal("needs an unverified point", first.Message);
    }

    [Fact]
    public async Task Without_a_valid_target_the_plan_runs_alone_and_the_restore_checks_later()
    {
        var listed = 0;
        _rbd.ListImages = (_, _) => { listed++; return Task.FromResult<IReadOnlyList<string>>([]); };

        var (_, checkedTarget) = await Service().PlanAsync(null, () => Task.FromResult(PlanFor(Target)), default);
        Assert.False(checkedTarget);
        Assert.Equal(0, listed);

        // A plan that ends up with another target than the one checked is not taken as checked.
        var (_, other) = await Service().PlanAsync(Target, () => Task.FromResult(PlanFor(new ImageRef("ssd", Target.Name))), default);
        Assert.False(other);
    }

    [Theory]
    [InlineData("web01-disk", null, "rbd/new")]
    [InlineData("ssd/web01-disk", null, "ssd/new")]
    [InlineData("ssd/web01-disk", "hdd", "hdd/new")]
    [InlineData("a/b/c", null, null)]
    [InlineData("web01-disk", "../x", null)]
    public void The_target_is_known_from_the_request_alone(string image, string? pool, string? expected)
    {
        var target = RestoreSources.TargetOf(new CatalogRestoreRequest
        {
            Job = "J", Image = image, RestorePoint = "000001-000000", NewName = "new", Pool = pool,
        }, new CephOptions { Pool = "rbd" });

        Assert.Equal(expected, target?.ToString());
    }

    [Fact]
    public void An_invalid_new_name_gives_no_early_target()
    {
        Assert.Null(RestoreSources.TargetOf(new CatalogRestoreRequest
        {
            Job = "J", Image = "web01-disk", RestorePoint = "000001-000000", NewName = "new\n",
        }, new CephOptions { Pool = "rbd" }));
    }
}
