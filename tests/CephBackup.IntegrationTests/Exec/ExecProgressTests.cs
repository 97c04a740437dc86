using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Exec;

/// <summary>What exec's live line is drawn from: Core's per-image byte counts of a real export (the CLI side is unit-tested).</summary>
public class ExecProgressTests : BedTest
{
    private sealed class Recorder : IProgress<ExportProgress>
    {
        private readonly Lock _gate = new();
        public List<ExportProgress> All { get; } = [];
        public void Report(ExportProgress value) { lock (_gate) All.Add(value); }
    }

    [Fact]
    public async Task Each_exported_image_reports_zero_then_monotonic_bytes_then_done_with_the_stream_size()
    {
        var job = await _bed.AddJobAsync("JP", maxInc: 3);
        var images = new[] { await _bed.AddImageAsync(job, "pa", size: 256L << 20), await _bed.AddImageAsync(job, "pb") };
        // Enough data that the bigger export usually spans several report intervals.
        await TestRbd.WriteAsync(TestEnv.Pool, images[0], 256L << 20, (32L << 20, 64 << 20));

        for (var run = 0; run < 2; run++)
        {
            if (run > 0) await BackupBed.ChangeAsync(images[1]);
            var progress = new Recorder();
            var outcome = await BedApp.Create(_bed, parallelism: 2).Backup(progress).RunAsync(new ExecRequest(), CancellationToken.None);
            Assert.Equal(ExitCode.Ok, outcome.ExitCode);

            foreach (var image in images)
            {
                var mine = progress.All.Where(p => p.Image == image).ToList();
                Assert.True(mine.Count >= 2, $"run {run}, {image}: {mine.Count} report(s)");
                Assert.True(mine[0] is { Job: "JP", Bytes: 0, Done: false });
                Assert.Equal(image == images[0] ? "pa" : "pb", mine[0].Vm);
                Assert.True(mine.Zip(mine.Skip(1)).All(x => x.First.Bytes <= x.Second.Bytes), string.Join(",", mine.Select(m => m.Bytes)));
                Assert.Single(mine, p => p.Done);
                var point = (await _bed.Catalog.GetPointsAsync(job, null, image, CancellationToken.None)).OrderBy(p => p.EndedAt).Last();
                Assert.True(mine[^1].Done);
                Assert.Equal(point.StreamSizeBytes ?? point.SizeBytes, mine[^1].Bytes);
            }
        }
    }
}
