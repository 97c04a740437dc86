using CephBackup.Core.Reporting;

namespace CephBackup.Tests.Storage;

public class ReportFormatterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);

    private static ImageReport Img(ImageResult r, long bytes = 2_500_000_000, double secs = 10) => new()
    {
        Vm = "web<01>", Image = "vm-1-disk-0", Start = T0, End = T0.AddSeconds(secs), SizeBytes = bytes,
        Type = "FULL", RestorePoint = "000001-000000", Result = r, Detail = "first backup",
    };

    [Fact]
    public void Subject_keeps_the_php_pattern()
    {
        Assert.Equal("[SUCCESS] CEPH Backup J (2 objects)", new JobReport { JobName = "J", Images = [Img(ImageResult.Success), Img(ImageResult.Success)] }.Subject);
        Assert.Equal("[FAIL] CEPH Backup J (2 objects)", new JobReport { JobName = "J", Images = [Img(ImageResult.Success), Img(ImageResult.Failed)] }.Subject);
        Assert.Equal("[FAIL] CEPH Backup J (ALL objects)", new JobReport { JobName = "J", Result = JobResult.AlreadyRunning }.Subject);
    }

    [Fact]
    public void Html_and_text_carry_the_figures_and_escape_names()
    {
        var r = new JobReport { JobName = "J", Images = [Img(ImageResult.Success)], Warnings = ["stale lastrun"] };
        var html = ReportFormatter.Html(r, TimeZoneInfo.Utc);
        Assert.Contains("web&lt;01&gt;", html);
        Assert.Contains("2.50 GB", html);
        Assert.Contains("250 MB/s", html);
        Assert.Contains("00:00:10 (10 s)", html);
        Assert.Contains("<th", html);
        var text = ReportFormatter.Text(r, TimeZoneInfo.Utc);
        Assert.Contains("Warning: stale lastrun", text);
        Assert.Contains("2026-11-26 01:00:00 +00:00", text);
        Assert.Contains("FULL 000001-000000", text);
    }

    [Fact]
    public void Zero_duration_shows_no_speed_instead_of_the_previous_rows()
    {
        var html = ReportFormatter.Text(new JobReport { JobName = "J", Images = [Img(ImageResult.Success, 10, 0)] }, TimeZoneInfo.Utc);
        Assert.Contains("| - |", html);
    }
}
