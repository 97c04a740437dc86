using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;

namespace CephBackup.Tests.Planning;

public class ScheduleTests
{
    private static ScheduleFlags Flags(params int[] set) => new(Enumerable.Range(1, 7).ToDictionary(i => i, set.Contains));

    [Theory]
    [InlineData("2026-11-23", 1)] // Monday
    [InlineData("2026-11-28", 6)]
    [InlineData("2026-11-29", 7)] // Sunday: the PHP tool read idbackup_job here and always ran
    public void IsoDay_numbers_monday_1_to_sunday_7(string date, int expected) =>
        Assert.Equal(expected, Schedule.IsoDay(DateOnly.Parse(date)));

    [Theory]
    [InlineData(1, 1)] [InlineData(7, 1)] [InlineData(8, 2)] [InlineData(28, 4)] [InlineData(29, 5)] [InlineData(31, 5)]
    public void Week_of_month_is_the_nth_block_of_seven_days(int day, int week) =>
        Assert.Equal(week, Schedule.WeekOfMonth(new DateOnly(2027, 1, day)));

    [Fact]
    public void Sunday_runs_only_when_column_7_is_set()
    {
        var sunday = new DateOnly(2026, 11, 29);
        Assert.False(Schedule.Evaluate(sunday, Flags(1, 2, 3, 4, 5, 6), null).Run);
        Assert.True(Schedule.Evaluate(sunday, Flags(7), null).Run);
    }

    [Fact]
    public void Every_sunday_of_2026_and_2027_follows_column_7_only()
    {
        for (var d = new DateOnly(2026, 1, 4); d.Year < 2028; d = d.AddDays(7))
        {
            Assert.Equal(DayOfWeek.Sunday, d.DayOfWeek);
            Assert.False(Schedule.Evaluate(d, Flags(1, 2, 3, 4, 5, 6), null).Run, d.ToString());
            Assert.True(Schedule.Evaluate(d, Flags(7), null).Run, d.ToString());
        }
    }

    [Fact]
    public void January_2027_is_not_skipped_as_the_php_tool_would()
    {
        // PHP computed negative week numbers for 2027-01-04..31 and silently skipped them.
        var weeks = new ScheduleFlags(new Dictionary<int, bool> { [1] = true, [2] = true, [3] = true, [4] = true, [5] = true });
        for (var d = new DateOnly(2027, 1, 1); d.Month == 1; d = d.AddDays(1))
            Assert.True(Schedule.Evaluate(d, null, weeks).Run, d.ToString());
    }

    [Fact]
    public void No_rows_means_no_restriction_and_both_filters_must_agree()
    {
        var mondayWeek1 = new DateOnly(2026, 11, 2);
        Assert.True(Schedule.Evaluate(mondayWeek1, null, null).Run);
        var weekOne = new ScheduleFlags(new Dictionary<int, bool> { [1] = true });
        Assert.True(Schedule.Evaluate(mondayWeek1, Flags(1), weekOne).Run);
        Assert.False(Schedule.Evaluate(mondayWeek1.AddDays(7), Flags(1), weekOne).Run);
        var r = Schedule.Evaluate(mondayWeek1.AddDays(1), Flags(1), weekOne);
        Assert.False(r.Run);
        Assert.Contains("Tuesday", r.Reason);
    }
}
