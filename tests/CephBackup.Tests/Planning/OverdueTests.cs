using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;

namespace CephBackup.Tests.Planning;

public class OverdueTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly TimeZoneInfo Plus2 = TimeZoneInfo.CreateCustomTimeZone("T+2", TimeSpan.FromHours(2), "T+2", "T+2");

    private static ScheduleFlags? Flags(string? set, int max) =>
        set is null ? null : new ScheduleFlags(Enumerable.Range(1, max).ToDictionary(n => n, n => set.Split(',').Contains(n.ToString())));

    // 2026-11-30 is a Monday. Last success Monday 2026-11-30 01:30 UTC unless stated.
    private static readonly DateTimeOffset Last = new(2026, 11, 30, 1, 30, 0, TimeSpan.Zero);

    [Theory]
    // daily: overdue after 26 h, critical after 50 h
    [InlineData(null, null, 25.9, HealthState.Ok)]
    [InlineData(null, null, 26.1, HealthState.Warning)]
    [InlineData(null, null, 49.9, HealthState.Warning)]
    [InlineData(null, null, 50.1, HealthState.Critical)]
    // Monday only: 7 days + 2 h, critical after 14 days + 2 h
    [InlineData("1", null, 7 * 24 + 1.9, HealthState.Ok)]
    [InlineData("1", null, 7 * 24 + 2.1, HealthState.Warning)]
    [InlineData("1", null, 14 * 24 + 2.1, HealthState.Critical)]
    // Monday and Tuesday: after Monday's success the next run is Tuesday (26 h), then next Monday
    [InlineData("1,2", null, 26.1, HealthState.Warning)]
    [InlineData("1,2", null, 7 * 24 + 1.9, HealthState.Warning)]
    [InlineData("1,2", null, 7 * 24 + 2.1, HealthState.Critical)]
    // week 1 only (days 1-7 of the month): success on Nov 30 (week 5); next run Dec 1, then Dec 2
    [InlineData(null, "1", 24 + 1.9, HealthState.Ok)]
    [InlineData(null, "1", 24 + 2.1, HealthState.Warning)]
    [InlineData(null, "1", 48 + 2.1, HealthState.Critical)]
    // Monday of week 1: next Monday 2026-12-07 (day 7: still week 1), then Monday 2027-01-04
    [InlineData("1", "1", 7 * 24 + 1.9, HealthState.Ok)]
    [InlineData("1", "1", 7 * 24 + 2.1, HealthState.Warning)]
    [InlineData("1", "1", 35 * 24 + 1.9, HealthState.Warning)]
    [InlineData("1", "1", 35 * 24 + 2.1, HealthState.Critical)]
    public void Schedule_sets_the_limits(string? days, string? weeks, double hoursLater, HealthState expected)
    {
        var v = Overdue.Evaluate(Last.AddHours(hoursLater), Last, true, Flags(days, 7), Flags(weeks, 5), Utc, OverdueThresholds.FromSchedule);
        Assert.Equal(expected, v.State);
        Assert.Equal(expected != HealthState.Ok, v.Overdue);
    }

    [Fact]
    public void The_day_of_the_last_success_is_the_local_day()
    {
        // 23:30 UTC Sunday is 01:30 Monday at +2: for a Monday-only job that was Monday's run, next is in 7 days.
        var sundayUtc = new DateTimeOffset(2026, 11, 29, 23, 30, 0, TimeSpan.Zero);
        var (warn, _) = Overdue.ScheduleLimits(sundayUtc, Flags("1", 7), null, Plus2);
        Assert.Equal(sundayUtc.AddDays(7).AddHours(2), warn);
        var (warnUtc, _) = Overdue.ScheduleLimits(sundayUtc, Flags("1", 7), null, Utc);
        Assert.Equal(sundayUtc.AddDays(1).AddHours(2), warnUtc);
    }

    [Theory]
    [InlineData(10.0, null, 9.9, HealthState.Ok)]
    [InlineData(10.0, null, 10.1, HealthState.Warning)]
    [InlineData(10.0, 12.0, 12.1, HealthState.Critical)]
    [InlineData(null, 12.0, 12.1, HealthState.Critical)]
    // --crit-hours replaces only the critical limit: the daily warning at 26 h still applies
    [InlineData(null, 100.0, 30.0, HealthState.Warning)]
    [InlineData(100.0, null, 60.0, HealthState.Critical)]
    public void Hour_options_override_the_schedule(double? warn, double? crit, double hoursLater, HealthState expected) =>
        Assert.Equal(expected, Overdue.Evaluate(Last.AddHours(hoursLater), Last, true, null, null, Utc, new OverdueThresholds(warn, crit)).State);

    [Fact]
    public void Disabled_jobs_are_never_overdue()
    {
        var v = Overdue.Evaluate(Last.AddDays(400), Last, false, null, null, Utc, OverdueThresholds.FromSchedule);
        Assert.Equal((HealthState.Ok, false), (v.State, v.Overdue));
        Assert.Equal(HealthState.Ok, Overdue.Evaluate(Last, null, false, null, null, Utc, OverdueThresholds.FromSchedule).State);
    }

    [Fact]
    public void Never_backed_up_is_a_warning_and_overdue()
    {
        var v = Overdue.Evaluate(Last, null, true, null, null, Utc, OverdueThresholds.FromSchedule);
        Assert.Equal((HealthState.Warning, true), (v.State, v.Overdue));
        Assert.Contains("no successful backup", v.Reason);
    }

    [Fact]
    public void A_schedule_with_no_day_set_never_runs_and_says_so()
    {
        var v = Overdue.Evaluate(Last.AddDays(3), Last, true, Flags("", 7), null, Utc, OverdueThresholds.FromSchedule);
        Assert.Equal(HealthState.Warning, v.State);
        Assert.Contains("never runs", v.Reason);
        Assert.Null(Overdue.NextScheduledDay(new DateOnly(2026, 11, 30), Flags("", 7), null));
    }

    [Theory]
    [InlineData("2026-11-30", null, null, "2026-11-30")]
    [InlineData("2026-11-30", "3", null, "2026-12-02")]
    [InlineData("2026-12-01", "7", "5", "2027-01-31")]
    public void Next_scheduled_day(string from, string? days, string? weeks, string expected) =>
        Assert.Equal(DateOnly.Parse(expected), Overdue.NextScheduledDay(DateOnly.Parse(from), Flags(days, 7), Flags(weeks, 5)));
}
