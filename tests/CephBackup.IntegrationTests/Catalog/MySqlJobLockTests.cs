using CephBackup.Core.Catalog;
using Microsoft.Extensions.Time.Testing;

namespace CephBackup.IntegrationTests.Catalog;

public sealed class MySqlJobLockTests : MigratedDatabaseTest
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateTime Started = new(2024, 6, 1, 2, 3, 4, 567, DateTimeKind.Utc);

    private MySqlJobLockProvider NewProvider() => new(Db.ConnectionString);

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
        Assert.Equal("0", (await DbProbe.LinesAsync(Db, "SELECT COUNT(*) FROM cephbackup_job_locks")).Trim());

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
    public async Task Killing_the_holders_connection_frees_the_lock_like_a_crash_would()
    {
        var crashed = await NewProvider().TryAcquireAsync(7, "host-a", 10, Started, Ct);
        Assert.NotNull(crashed);
        var connectionId = Convert.ToInt64(await DbProbe.ScalarAsync(Db, "SELECT connection_id FROM cephbackup_job_locks WHERE job_id = 7"));

        await Db.ExecAsync($"KILL {connectionId}");

        var other = NewProvider();
        IJobLock? taken = null;
        // KILL is asynchronous on the server: the victim thread releases its locks as it exits.
        for (var i = 0; i < 50 && taken is null; i++)
        {
            taken = await other.TryAcquireAsync(7, "host-b", 20, Started, Ct);
            if (taken is null) await Task.Delay(100);
        }
        Assert.NotNull(taken);
        await using (taken)
        {
            Assert.False(await crashed.StillHeldAsync(Ct));
            Assert.True(await taken.StillHeldAsync(Ct));
            Assert.Equal(new LockHolder("host-b", 20, Started), await other.GetHolderAsync(7, Ct));

            // Disposing the dead lock must neither throw nor delete the new holder's row.
            await crashed.DisposeAsync();
            Assert.Equal(new LockHolder("host-b", 20, Started), await other.GetHolderAsync(7, Ct));
            Assert.True(await taken.StillHeldAsync(Ct));
        }
    }

    [Fact]
    public async Task The_idle_lock_connection_is_pinged_every_minute()
    {
        var time = new FakeTimeProvider(Started);
        await using var held = await new MySqlJobLockProvider(Db.ConnectionString, time).TryAcquireAsync(7, "h", 1, Started, Ct);
        var jobLock = Assert.IsType<MySqlJobLock>(held);

        time.Advance(TimeSpan.FromSeconds(59));
        await Task.Delay(200);
        Assert.Equal(0, jobLock.Pings);

        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => jobLock.Pings == 1);
        time.Advance(TimeSpan.FromSeconds(60));
        await WaitForAsync(() => jobLock.Pings == 2);
        Assert.True(await held.StillHeldAsync(Ct));
    }

    [Fact]
    public async Task The_lock_holder_from_an_earlier_run_is_not_reported_for_a_foreign_holder()
    {
        // A stale row (its connection long gone) and a lock taken outside this tool.
        await Db.ExecAsync("INSERT INTO cephbackup_job_locks VALUES (7, 'old-host', 1, '2020-01-01', 999999)");
        await using var foreign = new MySqlConnector.MySqlConnection(Db.ConnectionString + ";Pooling=false");
        await foreign.OpenAsync();
        await using (var cmd = new MySqlConnector.MySqlCommand($"SELECT GET_LOCK('{CatalogRules.JobLockName(Db.Name, 7)}', 0)", foreign))
            Assert.Equal(1L, Convert.ToInt64(await cmd.ExecuteScalarAsync()));

        var holder = await NewProvider().GetHolderAsync(7, Ct);
        Assert.NotNull(holder);
        Assert.StartsWith("unknown", holder.Host);
        Assert.Null(await NewProvider().TryAcquireAsync(7, "h", 1, Started, Ct));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }
}
