using System.Globalization;
using System.Text;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Cli;

/// <summary>
/// exec's live status at a terminal: ONE rewritten line on stderr listing every image being exported
/// (bytes so far, average rate), redrawn at most every <see cref="Interval"/>. One combined line rather
/// than one line per image because a single <c>\r</c>-rewritten line survives the per-image log lines
/// written between redraws; several lines would need cursor movement that such a line breaks. The line is
/// cleared when an image ends, so that image's SUCCESS/FAIL log line starts on a clean line.
/// Synchronous on purpose (as <see cref="TerminalProgress"/>): reports arrive in order, from the export loops.
/// </summary>
public sealed class ExecProgress(TextWriter stderr, TimeProvider time, Func<int> width) : IProgress<ExportProgress>
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly Lock _gate = new();
    // Few entries (Backup:Parallelism): a list keeps the start order stable on screen.
    private readonly List<Running> _running = [];
    private long _lastDraw;
    private bool _lineOpen;

    /// <summary>One image being exported: its latest report and when its first one came.</summary>
    public readonly record struct Running(ExportProgress Last, long Started);

    /// <summary>Progress for an interactive stderr; null under cron, in a pipe, or with --json.</summary>
    public static ExecProgress? For(TextWriter stderr, bool machineOutput) =>
        !machineOutput && ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected
            ? new ExecProgress(stderr, TimeProvider.System, () => Console.WindowWidth)
            : null;

    public void Report(ExportProgress p)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var i = _running.FindIndex(r => r.Last.Job == p.Job && r.Last.Vm == p.Vm && r.Last.Image == p.Image);
            if (p.Done)
            {
                if (i >= 0) _running.RemoveAt(i);
                Clear();
                // A pause before the next draw leaves room for the image's own log line.
                _lastDraw = now;
                return;
            }
            if (i >= 0) _running[i] = _running[i] with { Last = p };
            else _running.Add(new Running(p, now));
            if (_lastDraw != 0 && time.GetElapsedTime(_lastDraw, now) < Interval) return;
            _lastDraw = now;
            stderr.Write("\r" + Line(_running, now, time.TimestampFrequency, SafeWidth()) + "\u001b[K");
            _lineOpen = true;
        }
    }

    /// <summary>Removes the status line (end of the run, or before an error message).</summary>
    public void Finish()
    {
        lock (_gate) Clear();
    }

    private void Clear()
    {
        if (_lineOpen) stderr.Write("\r\u001b[K");
        _lineOpen = false;
    }

    private int SafeWidth()
    {
        try { return width(); }
        catch (IOException) { return 80; }
    }

    /// <summary>
    /// "exporting 2: web01/web01-disk0 1.5 GiB 120 MiB/s, db01/db01-disk0 512 MiB 80 MiB/s", cut to one
    /// column less than the terminal (writing the last column wraps on some terminals, and a wrapped line
    /// cannot be rewritten with \r).
    /// </summary>
    internal static string Line(IReadOnlyList<Running> running, long now, long frequency, int width)
    {
        var sb = new StringBuilder(128).Append(CultureInfo.InvariantCulture, $"exporting {running.Count}: ");
        for (var i = 0; i < running.Count; i++)
        {
            var r = running[i];
            var seconds = (double)(now - r.Started) / frequency;
            var rate = seconds >= 0.5 ? IecSize.Format((long)(r.Last.Bytes / seconds)) + "/s" : "-";
            if (i > 0) sb.Append(", ");
            sb.Append(r.Last.Vm).Append('/').Append(r.Last.Image).Append(' ').Append(IecSize.Format(r.Last.Bytes)).Append(' ').Append(rate);
        }
        var max = Math.Max(20, width - 1);
        return sb.Length <= max ? sb.ToString() : sb.ToString(0, max - 1) + "…";
    }
}
