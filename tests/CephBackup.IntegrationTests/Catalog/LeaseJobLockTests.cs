using CephBackup.Core.Catalog;
using Microsoft.Extensions.Time.Testing;

namespace CephBackup.IntegrationTests.Catalog;

/// <summary>The job lock as a lease row (formerly GET_LOCK): the same cases, plus expiry and renewal.</summary>
public sealed class LeaseJobLockTests : MigratedDatabaseTest
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateTime Started = new(2024, 6, 1, 2, 3, 4, 567, DateTimeKind.Utc);

    private LeaseJobLockProvider NewProvider(int leaseSeconds = 120, TimeProvider? time = null) => new(Db.ConnectionString, leaseSeconds, time);

    [Fact]
    public async Task A_held_lock_refuses_a_second_holder_and_reports_the_first()
    {
        var first = NewProvider();
        var other = NewProvider();
        await using var held = await first.TryAcquireAsync(7, "host-a", 4242, Started, Ct);
        Assert.NotNull(held);
        Assert.True(await held.StillHeldAsync(Ct));

        Assert.Null(await other.TryAcquireAsync(7, "host-b", 1, Started, Ct));
        Assert.Equal(new LockHolder("host-a", 4242, Started), await other.GetHolderAsync(7, Ct));
        Assert.Equal(DateTimeKind.Utc, (await other.GetHolderAsync(7, Ct))!.StartedAt.Kind);

        // Locks are per job.
        await using var job8 = await other.TryAcquireAsync(8, "host-b", 1, Started, Ct);
        Assert.NotNull(job8);
        Assert.True(await held.StillHeldAsync(Ct));
    }

    [Fact]
    public async Task After_dispose_the_lock_is_free_and_can_be_taken_again()
    {
        var provider = NewProvider();
        var held = await provider.TryAcquireAsync(7, "host-a", 10, Started, Ct);
        Assert.NotNull(held);
        await held.DisposeAsync();
        await held.DisposeAsync(); // idempotent

        Assert.Null(await provider.GetHolderAsync(7, Ct));
        Assert.False(await held.StillHeldAsync(Ct));
        Assert.Equal("0", (await DbProbe.LinesAsync(Db, "SELECT COUNT(*) FROM cephbackup_leases WHERE expires_at > UTC_TIMESTAMP(6)")).Trim());

        await using var again = await NewProvider().TryAcquireAsync(7, "host-b", 20, Started.AddDays(1), Ct);
        Assert.NotNull(again);
        Assert.Equal(new LockHolder("host-b", 20, Started.AddDays(1)), await provider.GetHolderAsync(7, Ct));
    }

    [Fact]
    public async Task Nobody_holds_a_lock_never_taken()
    {
        Assert.Null(await NewProvider().GetHolderAsync(1, Ct));
    }

    [Fact]
    public async Task A_killed_holder_blocks_the_job_until_its_lease_expires_then_cannot_fence_or_release_the_new_holder()
    {
        // A holder that never renews (its clock never ticks) is what a kill -9 leaves behind.
        var frozen = new FakeTimeProvider(Started);
        var crashed = await NewProvider(leaseSeconds: 2, time: frozen).TryAcquireAsync(7, "host-a", 10, Started, Ct);
        Assert.NotNull(crashed);
        var other = NewProvider(leaseSeconds: 2);
        Assert.Null(await other.TryAcquireAsync(7, "host-b", 20, Started, Ct));

        IJobLock? taken = null;
        var t0 = DateTime.UtcNow;
        for (var i = 0; i < 100 && taken is null; i++)
        {
            taken = await other.TryAcquireAsync(7, "host-b", 20, Started, Ct);
            if (taken is null) await Task.Delay(100);
        }
        Assert.NotNull(taken);
        // Expiry is measured by the database; the test clock only bounds it from below, with slack for rounding.
        Assert.True(DateTime.UtcNow - t0 > TimeSpan.FromSeconds(1.5), $"taken after {DateTime.UtcNow - t0}");
        await using (taken)
        {
            Assert.False(await crashed.StillHeldAsync(Ct));
            Assert.True(await taken.StillHeldAsync(Ct));
            Assert.Equal(new LockHolder("host-b", 20, Started), await other.GetHolderAsync(7, Ct));

            // Disposing the dead lock must neither throw nor free the new holder's lease.
            await crashed.DisposeAsync();
            Assert.Equal(new LockHolder("host-b", 20, Started), await other.GetHolderAsync(7, Ct));
            Assert.True(await taken.StillHeldAsync(Ct));
        }
    }

    [Fact]
    public async Task The_lease_is_renewed_every_third_of_its_duration_by_the_database_clock()
    {
        var time = new FakeTimeProvider(Started);
        await using var held = await NewProvider(leaseSeconds: 60, time: time).TryAcquireAsync(7, "h", 1, Started, Ct);
        var lease = Assert.IsType<Lease>(held);
        var before = await DbProbe.ScalarAsync(Db, "SELECT expires_at FROM cephbackup_leases WHERE kind = 'job' AND lease_key = '7'");

        time.Advance(TimeSpan.FromSeconds(19));
        await Task.Delay(200);
        Assert.Equal(0, lease.Renewals);

        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => lease.Renewals == 1);
        time.Advance(TimeSpan.FromSeconds(20));
        await WaitForAsync(() => lease.Renewals == 2);
        var after = await DbProbe.ScalarAsync(Db, "SELECT expires_at FROM cephbackup_leases WHERE kind = 'job' AND lease_key = '7'");
        Assert.True((DateTime)after! > (DateTime)before!);
        // 60 s from the database's now, whatever the (fake) host clock says.
        var left = Convert.ToDouble(await DbProbe.ScalarAsync(Db,
            "SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) / 1e6 FROM cephbackup_leases WHERE kind = 'job' AND lease_key = '7'"));
        Assert.InRange(left, 50, 60);
        Assert.True(await held.StillHeldAsync(Ct));
    }

    [Fact]
    public async Task Workers_of_one_run_share_the_job_and_exclude_a_plain_exec_and_another_run()
    {
        var p = NewProvider();
        await using var w1 = await p.TryJoinRunAsync(7, "day:2024-06-01", "host-a", 1, Started, Ct);
        await using var w2 = await p.TryJoinRunAsync(7, "day:2024-06-01", "host-b", 2, Started, Ct);
        Assert.NotNull(w1);
        Assert.NotNull(w2);
        Assert.Null(await p.TryAcquireAsync(7, "host-c", 3, Started, Ct));
        Assert.Null(await p.TryJoinRunAsync(7, "day:2024-06-02", "host-c", 3, Started, Ct));
        Assert.Contains("exec --worker", (await p.GetHolderAsync(7, Ct))!.Host);

        await w1.DisposeAsync();
        Assert.True(await w2.StillHeldAsync(Ct)); // one worker leaving does not free the run
        Assert.Null(await p.TryAcquireAsync(7, "host-c", 3, Started, Ct));
        await w2.DisposeAsync();                  // the last one out does
        await using var plain = await p.TryAcquireAsync(7, "host-c", 3, Started, Ct);
        Assert.NotNull(plain);
        Assert.Null(await p.TryJoinRunAsync(7, "day:2024-06-01", "host-a", 1, Started, Ct));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }
}
