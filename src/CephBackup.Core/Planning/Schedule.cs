using CephBackup.Core.Catalog;

namespace CephBackup.Core.Planning;

public sealed record ScheduleDecision(bool Run, string Reason);

/// <summary>
/// The day/week filters of cephbackup 2.0 (the author's intent), not the PHP tool's: ISO weekday
/// 1 = Monday … 7 = Sunday, and week of month = the n-th block of 7 days (days 1-7 = week 1 … 29-31 = week 5).
/// The PHP version ran every Sunday and skipped most of January 2027 (docs/COMPATIBILITY.md).
/// </summary>
public static class Schedule
{
    public static int IsoDay(DateOnly date) => date.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)date.DayOfWeek;

    public static int WeekOfMonth(DateOnly date) => (date.Day - 1) / 7 + 1;

    public static ScheduleDecision Evaluate(DateOnly date, ScheduleFlags? days, ScheduleFlags? weeks)
    {
        var day = IsoDay(date);
        if (days is not null && !days.IsSet(day))
            return new(false, $"not scheduled on {date.DayOfWeek} (backup_days column {day} is 0)");
        var week = WeekOfMonth(date);
        if (weeks is not null && !weeks.IsSet(week))
            return new(false, $"not scheduled in week {week} of the month (backup_weeks column {week} is 0)");
        return new(true, (days, weeks) switch
        {
            (null, null) => "no schedule restriction",
            _ => $"scheduled (day {day}, week {week})",
        });
    }
}
