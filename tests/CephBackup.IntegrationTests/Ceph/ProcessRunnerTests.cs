using System.Diagnostics;
using System.Security.Cryptography;
using CephBackup.Core;
using CephBackup.Core.Ceph;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Ceph;

public class ProcessRunnerTests
{
    private readonly ProcessRunner _runner = new();

    private static ProcessSpec Bash(string script, params string[] args) => new("bash", ["-c", script, .. args]);

    private static string UniqueSleepSeconds() => Random.Shared.Next(1_000_000, 9_999_999).ToString();

    private static bool IsSleep(string[] argv, string seconds) => argv is [.., "sleep", var s] && s == seconds;

    [Fact]
    public async Task Exit_code_stdout_and_stderr_are_returned_not_thrown()
    {
        var r = await _runner.RunAsync(Bash("echo out; echo err1 >&2; echo err2 >&2; exit 7"), default);

        Assert.Equal(7, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err1\nerr2", r.StderrTail);
        Assert.False(r.TimedOut);
    }

    [Fact]
    public async Task Arguments_are_passed_verbatim_and_environment_is_added()
    {
        var spec = Bash("printf '%s|' \"$@\" \"$CB_TEST\"", "x", "a b", "$(id)", ";rm -rf /") with
        {
            Environment = new Dictionary<string, string?> { ["CB_TEST"] = "v 1" },
        };
        var r = await _runner.RunAsync(spec, default);

        Assert.Equal("a b|$(id)|;rm -rf /|v 1|", r.Stdout);
    }

    [Fact]
    public async Task Stderr_keeps_only_the_last_40_lines()
    {
        var r = await _runner.RunAsync(Bash("for i in $(seq 1 5000); do echo line$i >&2; done; exit 3"), default);

        var lines = r.StderrTail.Split('\n');
        Assert.Equal(40, lines.Length);
        Assert.Equal("line4961", lines[0]);
        Assert.Equal("line5000", lines[^1]);
    }

    [Fact]
    public async Task Stderr_without_newlines_is_bounded()
    {
        var r = await _runner.RunAsync(Bash("head -c 3000000 /dev/zero | tr '\\0' x >&2; echo -n END >&2"), default);

        Assert.Equal(64 * 1024, r.StderrTail.Length);
        Assert.EndsWith("xxxEND", r.StderrTail);
    }

    [Fact]
    public async Task Large_stdout_is_streamed_into_the_sink_without_buffering_it()
    {
        const long size = 200L * 1024 * 1024;
        var sink = new CountingStream();
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var r = await _runner.RunAsync(Bash($"head -c {size} /dev/zero") with { StdoutSink = sink }, default);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(size, sink.Count);
        Assert.Equal("", r.Stdout);
        Assert.True(allocated < 40L * 1024 * 1024, $"allocated {allocated:N0} bytes for {size:N0} streamed");
    }

    [Fact]
    public async Task Stdin_is_fed_from_the_source()
    {
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);
        var r = await _runner.RunAsync(Bash("sha256sum -b | cut -d' ' -f1") with { StdinSource = new MemoryStream(data) }, default);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)) + "\n", r.Stdout);
    }

    [Fact]
    public async Task The_stdin_and_stdout_pipes_hold_a_whole_1_MiB_chunk()
    {
        // The child reads its stdin to the end (our feed has started, so it grew that pipe), then writes
        // more than 64 KiB (it blocks until our sink reads, which grew that pipe first), then asks the kernel.
        const string script = """
            import fcntl, sys
            sys.stdin.buffer.read()
            sys.stdout.buffer.write(b"x" * 70000); sys.stdout.flush()
            print(fcntl.fcntl(0, 1032), fcntl.fcntl(1, 1032), file=sys.stderr)
            """;
        var sink = new CountingStream();
        var r = await _runner.RunAsync(new ProcessSpec("python3", ["-c", script]) with
        {
            StdinSource = new MemoryStream(new byte[3 << 20]), StdoutSink = sink,
        }, default);

        Assert.True(r.ExitCode == 0, r.StderrTail);
        Assert.Equal(70000, sink.Count);
        Assert.Equal("1048576 1048576", r.StderrTail);
    }

    [Fact]
    public async Task No_stdin_source_means_stdin_is_closed()
    {
        var r = await _runner.RunAsync(Bash("wc -c"), default);
        Assert.Equal("0", r.Stdout.Trim());
    }

    [Fact]
    public async Task Cancellation_kills_the_process_and_its_grandchild()
    {
        var seconds = UniqueSleepSeconds();
        using var cts = new CancellationTokenSource();
        var run = _runner.RunAsync(Bash($"sleep {seconds} & sleep {seconds}; wait"), cts.Token);

        Assert.Equal(2, (await ProcScan.WaitForCountAsync(a => IsSleep(a, seconds), 2, TimeSpan.FromSeconds(10))).Count);
        var clock = Stopwatch.StartNew();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancel took {clock.Elapsed}");
        Assert.Empty(await ProcScan.WaitForCountAsync(a => IsSleep(a, seconds), 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Timeout_returns_TimedOut_and_kills_the_tree()
    {
        var seconds = UniqueSleepSeconds();
        var clock = Stopwatch.StartNew();

        var r = await _runner.RunAsync(Bash($"echo starting >&2; sleep {seconds} & sleep {seconds}; wait") with
        {
            Timeout = TimeSpan.FromSeconds(1),
        }, default);

        Assert.True(r.TimedOut);
        Assert.Equal(ProcessRunner.TimedOutExitCode, r.ExitCode);
        Assert.Equal("starting", r.StderrTail);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6));
        Assert.Empty(await ProcScan.WaitForCountAsync(a => IsSleep(a, seconds), 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_process_finishing_before_its_timeout_is_not_timed_out()
    {
        var r = await _runner.RunAsync(Bash("exit 4") with { Timeout = TimeSpan.FromSeconds(30) }, default);
        Assert.Equal((4, false), (r.ExitCode, r.TimedOut));
    }

    [Fact]
    public async Task A_failing_sink_stops_the_producer_and_surfaces_its_error()
    {
        var seconds = UniqueSleepSeconds();
        var sink = new FailingStream();

        // "yes" never ends by itself: only the kill can finish this run.
        var e = await Assert.ThrowsAnyAsync<IOException>(() =>
            _runner.RunAsync(Bash($"sleep {seconds} & yes") with { StdoutSink = sink }, default));

        Assert.Contains("disk full", e.ToString());
        Assert.Empty(await ProcScan.WaitForCountAsync(a => IsSleep(a, seconds), 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Missing_executable_is_a_ceph_error()
    {
        var e = await Assert.ThrowsAsync<CephBackupException>(() =>
            _runner.RunAsync(new ProcessSpec("/nonexistent/rbd-" + TestEnv.Unique(), ["ls"]), default));

        Assert.Equal(ExitCode.CephError, e.Code);
        Assert.StartsWith("cannot run '/nonexistent/rbd-", e.Message);
    }

    private sealed class CountingStream : Stream
    {
        public long Count { get; private set; }
        public override void Write(byte[] buffer, int offset, int count) => Count += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Count += buffer.Length;
            return ValueTask.CompletedTask;
        }
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private sealed class FailingStream : Stream
    {
        private int _writes;
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().Wait();
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
            ++_writes > 2 ? throw new IOException("disk full") : ValueTask.CompletedTask;
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
