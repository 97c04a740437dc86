using System.Collections.Concurrent;
using System.Text;
using CephBackup.Core.Ceph;

namespace CephBackup.Tests.Fakes;

/// <summary>
/// Images as snapshot lists; export-diff writes a small valid diff v1 stream. Records the order of snapshot
/// and export calls and the highest number of exports in flight.
/// </summary>
public sealed class FakeRbd : IRbd
{
    private readonly ConcurrentDictionary<string, List<string>> _snaps = new();
    private int _inFlight;
    public ConcurrentQueue<string> Calls { get; } = new();
    public int MaxConcurrentExports { get; private set; }
    /// <summary>Images whose export fails (rbd exit 5).</summary>
    public HashSet<string> FailExport { get; } = [];
    /// <summary>How long each export takes; lets concurrency show.</summary>
    public TimeSpan ExportDelay { get; set; } = TimeSpan.FromMilliseconds(30);
    /// <summary>Runs inside each export (after the delay), e.g. to cancel the run.</summary>
    public Action<string> DuringExport { get; set; } = _ => { };

    public IReadOnlyList<string> SnapshotsOf(string image) => _snaps.TryGetValue(image, out var l) ? l.ToList() : [];

    public Task<RbdImageInfo?> InfoAsync(ImageRef image, CancellationToken ct) => Task.FromResult<RbdImageInfo?>(new(image.Name, 1 << 20, [], 0));
    public Task<bool> ExistsAsync(ImageRef image, CancellationToken ct) => Task.FromResult(true);
    public Task CreateAsync(ImageRef image, long sizeBytes, CancellationToken ct) => Task.CompletedTask;
    public Task RemoveAsync(ImageRef image, CancellationToken ct) => Task.CompletedTask;
    /// <summary>Answers <c>rbd ls</c>; by default an empty pool.</summary>
    public Func<string, CancellationToken, Task<IReadOnlyList<string>>> ListImages { get; set; } = (_, _) => Task.FromResult<IReadOnlyList<string>>([]);
    public Task<IReadOnlyList<string>> ListImagesAsync(string pool, CancellationToken ct) => ListImages(pool, ct);
    public Task<IReadOnlyList<RbdLock>> LockListAsync(ImageRef image, CancellationToken ct) => Task.FromResult<IReadOnlyList<RbdLock>>([]);
    public Task LockRemoveAsync(ImageRef image, RbdLock rbdLock, CancellationToken ct) => Task.CompletedTask;

    /// <summary>How long the snapshot of an image takes (none by default), e.g. a slow monitor or hook.</summary>
    public Dictionary<string, TimeSpan> SnapDelay { get; } = [];

    public async Task SnapCreateAsync(ImageRef image, string snapshot, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (SnapDelay.TryGetValue(image.Name, out var delay)) await Task.Delay(delay, ct);
        var l = _snaps.GetOrAdd(image.Name, _ => []);
        lock (l)
        {
            // As rbd does: a snapshot name is taken once (exit 17).
            if (l.Contains(snapshot)) throw new RbdException("snap create", 17, "rbd: failed to create snapshot: (17) File exists");
            l.Add(snapshot);
        }
        Calls.Enqueue($"snap {image.Name}");
    }

    public Task<IReadOnlyList<RbdSnapshot>> SnapListAsync(ImageRef image, CancellationToken ct)
    {
        var list = SnapshotsOf(image.Name).Select((s, i) => new RbdSnapshot(i, s, 1 << 20, false, null)).ToList();
        Calls.Enqueue($"listed {image.Name}");
        return Task.FromResult<IReadOnlyList<RbdSnapshot>>(list);
    }

    /// <summary>A snapshot made behind the tool's back (an interrupted run's, or an admin's).</summary>
    public void AddSnapshot(string image, string snapshot) => _snaps.GetOrAdd(image, _ => []).Add(snapshot);

    public Task SnapRemoveAsync(ImageRef image, string snapshot, CancellationToken ct)
    {
        Calls.Enqueue($"snaprm {image.Name} {snapshot}");
        if (_snaps.TryGetValue(image.Name, out var l)) lock (l) l.Remove(snapshot);
        return Task.CompletedTask;
    }

    public Task SnapRenameAsync(ImageRef image, string snapshot, string newName, CancellationToken ct)
    {
        Calls.Enqueue($"snaprename {image.Name} {snapshot} {newName}");
        var l = _snaps[image.Name];
        lock (l) l[l.IndexOf(snapshot)] = newName;
        return Task.CompletedTask;
    }

    public Task SnapRollbackAsync(ImageRef image, string snapshot, CancellationToken ct) => Task.CompletedTask;

    public async Task ExportDiffAsync(ImageRef image, string snapshot, string? fromSnapshot, Stream sink, CancellationToken ct)
    {
        var now = Interlocked.Increment(ref _inFlight);
        lock (Calls) MaxConcurrentExports = Math.Max(MaxConcurrentExports, now);
        Calls.Enqueue($"export {image.Name}");
        try
        {
            await Task.Delay(ExportDelay, ct);
            DuringExport(image.Name);
            ct.ThrowIfCancellationRequested();
            if (FailExport.Contains(image.Name)) throw new RbdException("export-diff", 5, "rbd: export-diff error: (5) Input/output error");
            var snaps = SnapshotsOf(image.Name);
            if (!snaps.Contains(snapshot) || (fromSnapshot is not null && !snaps.Contains(fromSnapshot)))
                throw new RbdException("export-diff", 2, "rbd: export-diff error: (2) No such file or directory");
            await sink.WriteAsync(Diff(snapshot, fromSnapshot), ct);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            Calls.Enqueue($"exported {image.Name}");
        }
    }

    public Task ImportDiffAsync(ImageRef image, Stream source, CancellationToken ct) => Task.CompletedTask;
    public Task ExportAsync(ImageRef image, string? snapshot, Stream sink, CancellationToken ct) => Task.CompletedTask;

    public static byte[] Diff(string to, string? from)
    {
        var ms = new MemoryStream();
        ms.Write("rbd diff v1\n"u8);
        void Name(char tag, string n) { ms.WriteByte((byte)tag); ms.Write(BitConverter.GetBytes(Encoding.UTF8.GetByteCount(n))); ms.Write(Encoding.UTF8.GetBytes(n)); }
        if (from is not null) Name('f', from);
        Name('t', to);
        ms.WriteByte((byte)'s'); ms.Write(BitConverter.GetBytes(1L << 20));
        ms.WriteByte((byte)'w'); ms.Write(BitConverter.GetBytes(0L)); ms.Write(BitConverter.GetBytes(4L)); ms.Write("data"u8);
        ms.WriteByte((byte)'e');
        return ms.ToArray();
    }
}

/// <summary>Collects the reports handed to reporters.</summary>
public sealed class FakeReporter : CephBackup.Core.Reporting.IJobReporter
{
    public ConcurrentQueue<CephBackup.Core.Reporting.JobReport> Reports { get; } = new();
    public Task ReportAsync(CephBackup.Core.Reporting.JobReport report, CancellationToken ct)
    {
        Reports.Enqueue(report);
        return Task.CompletedTask;
    }
}
