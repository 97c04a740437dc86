using System.Diagnostics;
using System.Globalization;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Cli;

/// <summary>
/// One rewritten status line per file on a terminal's stderr (bytes, rate, ETA), at most a few times a
/// second. Synchronous on purpose: <see cref="Progress{T}"/> would post reports to the thread pool, where
/// they arrive out of order and after the file is done.
/// </summary>
public sealed class TerminalProgress(TextWriter stderr) : IProgress<RestoreProgress>
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly Lock _gate = new();
    private (RestorePhase, int)? _file;
    private long _fileStart;
    private long _lastDraw;
    private bool _lineOpen;

    /// <summary>Progress for an interactive stderr; null under cron, in a pipe, or with machine output.</summary>
    public static TerminalProgress? For(TextWriter stderr, bool machineOutput) =>
        !machineOutput && ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected ? new TerminalProgress(stderr) : null;

    public void Report(RestoreProgress p)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (_file != (p.Phase, p.FileIndex))
            {
                if (_lineOpen) stderr.WriteLine();
                _file = (p.Phase, p.FileIndex);
                _fileStart = now;
                _lastDraw = 0;
            }
            var done = p.Bytes >= p.FileBytes;
            if (!done && Stopwatch.GetElapsedTime(_lastDraw, now) < Interval) return;
            _lastDraw = now;
            stderr.Write("\r" + Line(p, Stopwatch.GetElapsedTime(_fileStart, now)) + "\u001b[K");
            _lineOpen = !done;
            if (done) stderr.WriteLine();
        }
    }

    /// <summary>Ends an unfinished status line so the next message starts on its own line.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_lineOpen) stderr.WriteLine();
            _lineOpen = false;
        }
    }

    internal static string Line(RestoreProgress p, TimeSpan elapsed)
    {
        var verb = p.Phase == RestorePhase.Verify ? "checking" : "importing";
        var pct = p.FileBytes > 0 ? Math.Min(100, p.Bytes * 100 / p.FileBytes) : 100;
        var rate = elapsed.TotalSeconds > 0.05 ? p.Bytes / elapsed.TotalSeconds : 0;
        var eta = p.Bytes >= p.FileBytes ? "0:00"
            : rate <= 0 ? "-"
            : TimeSpan.FromSeconds((p.FileBytes - p.Bytes) / rate) is var t ? $"{(int)t.TotalMinutes}:{t.Seconds:00}" : "-";
        return string.Create(CultureInfo.InvariantCulture,
            $"{verb} {p.FileIndex + 1}/{p.FileCount} {Path.GetFileName(Path.GetDirectoryName(p.File))}/{Path.GetFileName(p.File)}: {IecSize.Format(p.Bytes)} of {IecSize.Format(p.FileBytes)} ({pct}%), " +
            $"{(rate > 0 ? IecSize.Format((long)rate) : "-")}/s, ETA {eta}");
    }
}
