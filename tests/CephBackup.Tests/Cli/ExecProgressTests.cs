using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using Microsoft.Extensions.Time.Testing;

namespace CephBackup.Tests.Cli;

/// <summary>exec's live line (ExecProgress), the Core counter behind it (ProgressStream) and rbd-style IEC sizes.</summary>
public class ExecProgressTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(10239L, "10 KiB")]
    [InlineData(10L << 30, "10 GiB")]
    [InlineData((12L << 20) + (300L << 10), "12 MiB")]
    [InlineData((1L << 20) + (1L << 18), "1.2 MiB")]   // 1.25: half to even, as printf does
    [InlineData((100L << 20) + 1, "100 MiB")]
    [InlineData((3L << 40) / 2, "1.5 TiB")]
    public void Sizes_read_like_rbd(long bytes, string expected) => Assert.Equal(expected, IecSize.Format(bytes));

    private static ExecProgress.Running Run(string vm, long bytes, double startedSecondsAgo, long now, long freq) =>
        new(new ExportProgress("J", vm, vm + "-disk0", bytes, false), now - (long)(startedSecondsAgo * freq));

    [Fact]
    public void Line_lists_every_running_image_with_bytes_and_rate()
    {
        const long freq = 1_000_000, now = 100 * freq;
        var line = ExecProgress.Line([Run("web01", 3L << 30, 20, now, freq), Run("db01", 512L << 20, 4, now, freq)], now, freq, 200);
        Assert.Equal("exporting 2: web01/web01-disk0 3 GiB 154 MiB/s, db01/db01-disk0 512 MiB 128 MiB/s", line);
        // No rate before half a second: a first chunk would give absurd figures.
        Assert.Equal("exporting 1: web01/web01-disk0 0 B -", ExecProgress.Line([Run("web01", 0, 0, now, freq)], now, freq, 200));
    }

    [Fact]
    public void Line_is_cut_below_the_terminal_width()
    {
        const long freq = 1000, now = 10_000;
        var line = ExecProgress.Line([Run("web01", 1L << 30, 2, now, freq), Run("db01", 1L << 30, 2, now, freq)], now, freq, 40);
        Assert.Equal(39, line.Length);
        Assert.EndsWith("…", line);
        Assert.StartsWith("exporting 2: web01/web01-disk0 1 GiB", line);
    }

    [Fact]
    public void Reporter_draws_at_most_every_interval_and_clears_when_an_image_ends()
    {
        var clock = new FakeTimeProvider();
        var err = new StringWriter();
        var p = new ExecProgress(err, clock, () => 120);
        var a = new ExportProgress("J", "web01", "disk0", 0, false);

        p.Report(a);                                   // first report: drawn at once
        clock.Advance(TimeSpan.FromMilliseconds(100));
        p.Report(a with { Bytes = 1 << 20 });          // within the interval: not drawn
        Assert.Equal(1, Count(err.ToString(), "\rexporting"));
        clock.Advance(TimeSpan.FromMilliseconds(400));
        p.Report(a with { Bytes = 2 << 20 });
        Assert.Equal(2, Count(err.ToString(), "\rexporting"));
        Assert.EndsWith("\rexporting 1: web01/disk0 2 MiB 4 MiB/s\u001b[K", err.ToString());

        p.Report(a with { Bytes = 3 << 20, Done = true });
        Assert.EndsWith("\r\u001b[K", err.ToString());
        var before = err.ToString().Length;
        p.Finish();                                     // nothing open: nothing written
        Assert.Equal(before, err.ToString().Length);
    }

    [Fact]
    public void Reporter_keeps_images_in_start_order_and_drops_finished_ones()
    {
        var clock = new FakeTimeProvider();
        var err = new StringWriter();
        var p = new ExecProgress(err, clock, () => 200);
        var a = new ExportProgress("J", "vmA", "a", 0, false);
        var b = new ExportProgress("J", "vmB", "b", 0, false);
        p.Report(a);
        p.Report(b);
        clock.Advance(TimeSpan.FromSeconds(1));
        p.Report(b with { Bytes = 1 << 20 });
        Assert.EndsWith("\rexporting 2: vmA/a 0 B 0 B/s, vmB/b 1 MiB 1 MiB/s\u001b[K", err.ToString());
        p.Report(a with { Done = true });
        clock.Advance(TimeSpan.FromSeconds(1));
        p.Report(b with { Bytes = 4 << 20 });
        Assert.EndsWith("\rexporting 1: vmB/b 4 MiB 2 MiB/s\u001b[K", err.ToString());
        p.Finish();
        Assert.EndsWith("\r\u001b[K", err.ToString());
    }

    [Fact]
    public async Task Core_counter_passes_bytes_through_and_reports_throttled_monotonic_counts()
    {
        var clock = new FakeTimeProvider();
        var reports = new List<ExportProgress>();
        var target = new MemoryStream();
        var s = new ProgressStream(target, new SyncProgress(reports.Add), new ExportProgress("J", "vm", "img", 0, false), clock);
        s.Start();
        var chunk = new byte[1000];
        for (var i = 0; i < 50; i++)
        {
            await s.WriteAsync(chunk);
            clock.Advance(TimeSpan.FromMilliseconds(50));
        }
        s.Finish();

        Assert.Equal(50_000, target.Length);
        Assert.Equal(0, reports[0].Bytes);
        Assert.True(reports[^1] is { Done: true, Bytes: 50_000 });
        // 50 writes 50 ms apart = 2.5 s: one report per 200 ms at most, never 50.
        Assert.InRange(reports.Count, 10, 15);
        Assert.True(reports.Zip(reports.Skip(1)).All(x => x.First.Bytes <= x.Second.Bytes));
        Assert.All(reports.SkipLast(1), r => Assert.False(r.Done));
    }

    private static int Count(string s, string what) => (s.Length - s.Replace(what, "").Length) / what.Length;

    private sealed class SyncProgress(Action<ExportProgress> on) : IProgress<ExportProgress>
    {
        public void Report(ExportProgress value) => on(value);
    }
}
