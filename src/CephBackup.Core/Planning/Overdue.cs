using CephBackup.Core.Catalog;

namespace CephBackup.Core.Planning;

/// <summary>Monitoring-plugin states; the numbers are the exit codes of <c>cephbackup status</c>.</summary>
public enum HealthState { Ok = 0, Warning = 1, Critical = 2, Unknown = 3 }

/// <summary>Fixed age limits (hours) that replace the schedule-derived ones; null = from the schedule.</summary>
public sealed record OverdueThresholds(double? WarnHours = null, double? CritHours = null)
{
    public static OverdueThresholds FromSchedule { get; } = new();
}

/// <param name="Overdue">The last success is older than the warning limit (or there is none).</param>
/// <param name="WarnAfter">When the image becomes overdue (null when it cannot, e.g. disabled or never scheduled).</param>
public sealed record OverdueVerdict(HealthState State, bool Overdue, DateTimeOffset? WarnAfter, DateTimeOffset? CritAfter, string Reason);

/// <summary>
/// Is an image's last successful backup older than its job's schedule implies? Pure: the clock, the last
/// success and the schedule come in. The run time of day is unknown (cron), so it is taken from the last
/// success itself: the next run is due on the first scheduled day after that success's (local) day, at
/// the same time of day; <see cref="GraceHours"/> later the image is overdue (WARNING), and when the
/// scheduled day after that has passed as well (two missed runs) it is CRITICAL. A daily job is thus
/// overdue 26 h after its last success, a Monday-only job 7 days + 2 h after it.
/// </summary>
public static class Overdue
{
    public const double GraceHours = 2;
    /// <summary>Any combination of days and weeks occurs within a year; a schedule that does not never runs.</summary>
    private const int Horizon = 400;

    /// <summary>The first day on or after <paramref name="from"/> the schedule runs, or null if none within a year.</summary>
    public static DateOnly? NextScheduledDay(DateOnly from, ScheduleFlags? days, ScheduleFlags? weeks)
    {
        for (var i = 0; i <= Horizon; i++)
        {
            var d = from.AddDays(i);
            if (Schedule.Evaluate(d, days, weeks).Run) return d;
        }
        return null;
    }

    public static OverdueVerdict Evaluate(DateTimeOffset now, DateTimeOffset? lastSuccess, bool enabled,
        ScheduleFlags? days, ScheduleFlags? weeks, TimeZoneInfo zone, OverdueThresholds limits)
    {
        if (!enabled) return new(HealthState.Ok, false, null, null, "job disabled");
        if (lastSuccess is not { } last) return new(HealthState.Warning, true, null, null, "no successful backup yet");

        var (warn, crit) = ScheduleLimits(last, days, weeks, zone);
        if (limits.WarnHours is { } wh) warn = last.AddHours(wh);
        if (limits.CritHours is { } ch) crit = last.AddHours(ch);
        if (warn is null && crit is null) return new(HealthState.Warning, false, null, null, "the schedule never runs (no scheduled day within a year)");

        var age = now - last;
        var ageText = FormatAge(age);
        if (crit is { } c && now > c) return new(HealthState.Critical, true, warn, crit, $"last success {ageText} ago (critical after {FormatAge(c - last)})");
        if (warn is { } w && now > w) return new(HealthState.Warning, true, warn, crit, $"last success {ageText} ago (overdue after {FormatAge(w - last)})");
        return new(HealthState.Ok, false, warn, crit, $"last success {ageText} ago");
    }

    /// <summary>When the first and the second scheduled run after <paramref name="last"/> are missed (+ grace).</summary>
    public static (DateTimeOffset? Warn, DateTimeOffset? Crit) ScheduleLimits(DateTimeOffset last, ScheduleFlags? days, ScheduleFlags? weeks, TimeZoneInfo zone)
    {
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(last, zone).DateTime);
        if (NextScheduledDay(lastDay.AddDays(1), days, weeks) is not { } first) return (null, null);
        var second = NextScheduledDay(first.AddDays(1), days, weeks) ?? first;
        DateTimeOffset Due(DateOnly d) => last.AddDays(d.DayNumber - lastDay.DayNumber).AddHours(GraceHours);
        return (Due(first), Due(second));
    }

    public static string FormatAge(TimeSpan t) =>
        t.TotalHours < 48 ? $"{Math.Floor(t.TotalHours):0}h{t.Minutes:00}m" : $"{Math.Floor(t.TotalDays):0}d{t.Hours:00}h";
}
