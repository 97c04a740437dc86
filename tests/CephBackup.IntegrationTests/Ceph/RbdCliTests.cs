using System.Diagnostics;
using CephBackup.Core.Ceph;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Ceph;

public sealed class RbdCliTests : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;
    private readonly List<string> _images = [];
    private readonly List<string> _files = [];
    private readonly RbdCli _rbd = new(new ProcessRunner(), new CephOptions { ConfFile = TestEnv.CephConf, Pool = TestEnv.Pool, TimeoutSeconds = 20 });

    private ImageRef NewImage(string prefix)
    {
        var name = $"cbt-{prefix}-{TestEnv.Unique()}";
        _images.Add(name);
        return new ImageRef(TestEnv.Pool, name);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var image in _images) await TestRbd.PurgeAndRemoveAsync(TestEnv.Pool, image);
        foreach (var file in _files) File.Delete(file);
    }

    [Fact]
    public async Task Create_info_exists_and_list()
    {
        var img = NewImage("meta");
        Assert.False(await _rbd.ExistsAsync(img, default));
        Assert.Null(await _rbd.InfoAsync(img, default));

        await _rbd.CreateAsync(img, 5 * MiB + 512, default);

        var info = await _rbd.InfoAsync(img, default);
        Assert.NotNull(info);
        Assert.Equal((img.Name, 5 * MiB + 512, 0), (info.Name, info.SizeBytes, info.SnapshotCount));
        Assert.Contains("layering", info.Features);
        Assert.True(await _rbd.ExistsAsync(img, default));
        Assert.Contains(img.Name, await _rbd.ListImagesAsync(TestEnv.Pool, default));

        var again = await Assert.ThrowsAsync<RbdException>(() => _rbd.CreateAsync(img, MiB, default));
        Assert.Equal(17, again.RbdExitCode);
    }

    [Fact]
    public async Task Full_and_incremental_export_diff_restore_identical_snapshots()
    {
        var src = NewImage("src");
        const long size = 32 * MiB;
        await _rbd.CreateAsync(src, size, default);
        await TestRbd.WriteAsync(src.Pool, src.Name, size, (0, 4096), (2 * MiB, 1 << 20), (20 * MiB, 65536));
        await _rbd.SnapCreateAsync(src, "s1", default);
        await TestRbd.WriteAsync(src.Pool, src.Name, size, (3 * MiB, 8192), (31 * MiB, 1 << 20));
        await _rbd.SnapCreateAsync(src, "s2", default);

        var snaps = await _rbd.SnapListAsync(src, default);
        Assert.Equal(["s1", "s2"], snaps.Select(s => s.Name));
        Assert.True(snaps[0].Id < snaps[1].Id);
        Assert.All(snaps, s => Assert.Equal((size, false), (s.SizeBytes, s.Protected)));
        // TZ=UTC must make the timestamps real UTC instants close to now.
        Assert.All(snaps, s => Assert.InRange(s.Timestamp!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1)));

        var full = new MemoryStream();
        await _rbd.ExportDiffAsync(src, "s1", null, full, default);
        var inc = Path.Combine(Path.GetTempPath(), $"cbt-{TestEnv.Unique()}.diff");
        _files.Add(inc);
        await using (var file = File.Create(inc))
            await _rbd.ExportDiffAsync(src, "s2", "s1", file, default);
        Assert.StartsWith("rbd diff v1\n", System.Text.Encoding.ASCII.GetString(full.GetBuffer(), 0, 12));
        Assert.True(full.Length > 2 * MiB);
        Assert.InRange(new FileInfo(inc).Length, 1 * MiB, 8 * MiB);

        // import-diff grows the target to the diff's size and creates the end snapshots.
        var dst = NewImage("dst");
        await _rbd.CreateAsync(dst, MiB, default);
        full.Position = 0;
        await _rbd.ImportDiffAsync(dst, full, default);
        await using (var file = File.OpenRead(inc))
            await _rbd.ImportDiffAsync(dst, file, default);

        Assert.Equal(["s1", "s2"], (await _rbd.SnapListAsync(dst, default)).Select(s => s.Name));
        Assert.Equal(size, (await _rbd.InfoAsync(dst, default))!.SizeBytes);
        Assert.Equal(await TestRbd.Sha256Async(src.At("s1")), await TestRbd.Sha256Async(dst.At("s1")));
        Assert.Equal(await TestRbd.Sha256Async(src.At("s2")), await TestRbd.Sha256Async(dst.At("s2")));
        Assert.NotEqual(await TestRbd.Sha256Async(src.At("s1")), await TestRbd.Sha256Async(src.At("s2")));
    }

    [Fact]
    public async Task Rollback_restores_the_head_and_snap_rm_removes_one_snapshot()
    {
        var img = NewImage("rb");
        await _rbd.CreateAsync(img, 8 * MiB, default);
        await TestRbd.WriteAsync(img.Pool, img.Name, 8 * MiB, (0, 65536));
        await _rbd.SnapCreateAsync(img, "a", default);
        await _rbd.SnapCreateAsync(img, "b", default);
        await TestRbd.WriteAsync(img.Pool, img.Name, 8 * MiB, (4096, 1 << 20));
        Assert.NotEqual(await TestRbd.Sha256Async(img.At("a")), await TestRbd.Sha256Async(img.ToString()));

        await _rbd.SnapRollbackAsync(img, "a", default);
        Assert.Equal(await TestRbd.Sha256Async(img.At("a")), await TestRbd.Sha256Async(img.ToString()));

        await _rbd.SnapRemoveAsync(img, "b", default);
        Assert.Equal(["a"], (await _rbd.SnapListAsync(img, default)).Select(s => s.Name));
        var missing = await Assert.ThrowsAsync<RbdException>(() => _rbd.SnapRemoveAsync(img, "b", default));
        Assert.True(missing.IsNotFound);
    }

    [Fact]
    public async Task Export_of_a_missing_snapshot_is_not_found_with_rbds_message()
    {
        var img = NewImage("miss");
        await _rbd.CreateAsync(img, MiB, default);

        var e = await Assert.ThrowsAsync<RbdException>(() => _rbd.ExportDiffAsync(img, "nosnap", null, new MemoryStream(), default));

        Assert.Equal(2, e.RbdExitCode);
        Assert.Equal("export-diff", e.Operation);
        Assert.Contains("No such file or directory", e.StderrTail);
        Assert.Contains("(2) No such file or directory", e.Message);
    }

    [Fact]
    public async Task Import_of_a_truncated_diff_fails_with_rbds_exit_code()
    {
        var img = NewImage("trunc");
        await _rbd.CreateAsync(img, MiB, default);

        var e = await Assert.ThrowsAsync<RbdException>(() => _rbd.ImportDiffAsync(img, new MemoryStream("rbd d"u8.ToArray()), default));

        Assert.Equal(74, e.RbdExitCode);
        Assert.Contains("diff banner", e.StderrTail);
    }

    [Fact]
    public async Task Remove_purges_snapshots_and_tolerates_a_missing_image()
    {
        var img = NewImage("rm");
        await _rbd.CreateAsync(img, 4 * MiB, default);
        await _rbd.SnapCreateAsync(img, "x", default);
        await _rbd.SnapCreateAsync(img, "y", default);

        await _rbd.RemoveAsync(img, default);

        Assert.False(await _rbd.ExistsAsync(img, default));
        Assert.DoesNotContain(img.Name, await _rbd.ListImagesAsync(TestEnv.Pool, default));
        await _rbd.RemoveAsync(img, default);
    }

    [Fact]
    public async Task Cancelled_export_leaves_no_rbd_process_behind()
    {
        var img = NewImage("cancel");
        const long size = 256 * MiB;
        await _rbd.CreateAsync(img, size, default);
        await TestRbd.WriteAsync(img.Pool, img.Name, size,
            Enumerable.Range(0, 16).Select(i => (i * 16 * MiB, (int)(4 * MiB))).ToArray());
        await _rbd.SnapCreateAsync(img, "big", default);

        bool IsOurRbd(string[] argv) => argv[0].EndsWith("rbd") && argv.Any(a => a.Contains(img.Name));
        using var cts = new CancellationTokenSource();
        var seenWhileRunning = -1;
        var sink = new CallbackStream(() =>
        {
            if (seenWhileRunning >= 0) return;
            seenWhileRunning = ProcScan.Find(IsOurRbd).Count;
            cts.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _rbd.ExportDiffAsync(img, "big", null, sink, cts.Token));

        Assert.Equal(1, seenWhileRunning);
        Assert.True(sink.Written < size / 2, $"{sink.Written} bytes arrived after the cancel");
        Assert.Empty(await ProcScan.WaitForCountAsync(IsOurRbd, 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Dead_cluster_is_answered_with_an_error_not_a_hang()
    {
        var conf = Path.Combine(Path.GetTempPath(), $"cbt-dead-{TestEnv.Unique()}.conf");
        _files.Add(conf);
        var lines = (await File.ReadAllLinesAsync(TestEnv.CephConf))
            .Select(l => l.TrimStart().StartsWith("mon host") ? "mon host = 127.0.0.1:1" : l);
        await File.WriteAllLinesAsync(conf, lines);
        var dead = new RbdCli(new ProcessRunner(), new CephOptions { ConfFile = conf, Pool = TestEnv.Pool, TimeoutSeconds = 3 });
        var img = new ImageRef(TestEnv.Pool, "cbt-dead-" + TestEnv.Unique());

        foreach (var call in new Func<Task>[]
                 {
                     () => dead.ListImagesAsync(TestEnv.Pool, default),
                     () => dead.ExportDiffAsync(img, "s1", null, new MemoryStream(), default),
                 })
        {
            var clock = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<RbdException>(call);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
            Assert.True(e.IsTimeout, e.Message);
            Assert.Contains("connect", e.StderrTail);
        }
    }

    /// <summary>Discards data, counting it, and calls back on every write.</summary>
    private sealed class CallbackStream(Action onWrite) : Stream
    {
        public long Written { get; private set; }
        public override void Write(byte[] buffer, int offset, int count) { Written += count; onWrite(); }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Written += buffer.Length;
            onWrite();
            return ValueTask.CompletedTask;
        }
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
