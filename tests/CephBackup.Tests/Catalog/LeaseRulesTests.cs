using CephBackup.Core.Catalog;

namespace CephBackup.Tests.Catalog;

public sealed class LeaseRulesTests
{
    private static readonly DateTime T = new(2024, 6, 1, 2, 0, 0, DateTimeKind.Utc);

    private static LeaseRow Row(bool live, LeaseMode mode = LeaseMode.Exclusive, string? run = null, bool done = false) =>
        new("tok", mode, run, live, done, 1, "h", 1, T);

    private static readonly LeaseWant Exclusive = new(LeaseMode.Exclusive, null, false);
    private static readonly LeaseWant Worker1 = new(LeaseMode.Worker, "day:2024-06-01", false);
    private static readonly LeaseWant Image1 = new(LeaseMode.Exclusive, "day:2024-06-01", true);

    private static readonly (string Why, LeaseRow? Row, LeaseWant Want, LeaseStep Expected)[] Cases =
    [
        ("free job", null, Exclusive, LeaseStep.Insert),
        ("live exclusive holder", Row(true), Exclusive, LeaseStep.Held),
        ("expired holder (killed)", Row(false), Exclusive, LeaseStep.TakeOver),
        ("worker joins its run", Row(true, LeaseMode.Worker, "day:2024-06-01"), Worker1, LeaseStep.Join),
        ("worker vs another day's run", Row(true, LeaseMode.Worker, "day:2024-05-31"), Worker1, LeaseStep.Held),
        ("worker vs a plain exec", Row(true), Worker1, LeaseStep.Held),
        ("plain exec vs workers", Row(true, LeaseMode.Worker, "day:2024-06-01"), Exclusive, LeaseStep.Held),
        ("worker after the run ended", Row(false, LeaseMode.Worker, "day:2024-06-01"), Worker1, LeaseStep.TakeOver),
        ("image never claimed", null, Image1, LeaseStep.Insert),
        ("image claimed by a live worker", Row(true, run: "day:2024-06-01"), Image1, LeaseStep.Held),
        ("image claim of a dead worker", Row(false, run: "day:2024-06-01"), Image1, LeaseStep.TakeOver),
        ("image done in this run", Row(false, run: "day:2024-06-01", done: true), Image1, LeaseStep.AlreadyDone),
        ("image done in an earlier run", Row(false, run: "day:2024-05-31", done: true), Image1, LeaseStep.TakeOver),
    ];

    [Fact]
    public void Decide_table()
    {
        // Every row is checked and every mismatch named, not just the first.
        var wrong = Cases.Where(c => LeaseRules.Decide(c.Row, c.Want) != c.Expected)
            .Select(c => $"{c.Why}: expected {c.Expected}, got {LeaseRules.Decide(c.Row, c.Want)}").ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void A_job_row_never_counts_as_done_and_a_worker_run_is_the_schedule_day()
    {
        Assert.Equal(LeaseStep.Held, LeaseRules.Decide(Row(true, LeaseMode.Worker, "day:2024-06-01", done: true), Exclusive));
        Assert.Equal("day:2024-06-01", LeaseRules.WorkerRunId(new DateOnly(2024, 6, 1)));
        Assert.Equal("7/rbd/vm1-disk0", LeaseRules.ImageKey(7, "rbd/vm1-disk0"));
    }

    [Theory]
    [InlineData(1213, true)] // deadlock: Galera certification failure, InnoDB deadlock
    [InlineData(1180, true)] // error during COMMIT
    [InlineData(1062, true)] // the other INSERT won
    [InlineData(1205, true)]
    [InlineData(3101, true)] // Group Replication rollback
    [InlineData(1045, false)] // access denied is a real failure
    [InlineData(1047, false)] // node not ready (non-primary Galera node): a failure, not a race
    [InlineData(2013, false)]
    public void Only_conflicts_are_lost_races(int code, bool race) => Assert.Equal(race, LeaseRules.IsLostRace(code));

    [Fact]
    public void Renewal_every_third_and_backoff_grows_with_jitter()
    {
        Assert.Equal(TimeSpan.FromSeconds(40), LeaseRules.RenewEvery(120));
        Assert.Equal(TimeSpan.FromSeconds(2), LeaseRules.RenewEvery(6));
        Assert.Equal(TimeSpan.FromMilliseconds(10), LeaseRules.RetryDelay(0, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(60), LeaseRules.RetryDelay(1, 1));
        Assert.True(LeaseRules.RetryDelay(3, 0.5) > LeaseRules.RetryDelay(2, 0.5));
    }
}
