using System.Diagnostics;
using System.Globalization;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Property;

/// <summary>
/// Runs one scenario against the real services: each step, then the invariants; at the end every listed
/// point is restored with the real CLI and compared with the sha256 recorded when it was made.
/// </summary>
public sealed class PropertyRun(Scenario scenario, PropertyWorld world)
{
    private readonly PointModel _model = new(scenario);
    private readonly List<string> _log = [];
    private readonly List<TimeSpan> _execTimes = [];
    private List<ListedPoint> _listed = [];

    public IReadOnlyList<string> Log => _log;

    public static async Task RunAsync(Scenario scenario)
    {
        var sw = Stopwatch.StartNew();
        PropertyRun? run = null;
        try
        {
            await using var world = await PropertyWorld.CreateAsync(scenario);
            run = new PropertyRun(scenario, world);
            await run.RunStepsAsync();
        }
        catch (Exception e)
        {
            var log = run is null ? "(failed while setting up)" : string.Join('\n', run.Log);
            throw new PropertyViolation($"{scenario.Describe()}\nFAILED: {e.Message}\nactions so far, with what happened:\n{log}\n" +
                                        $"all actions:\n{string.Join('\n', scenario.Actions)}\n{(e is PropertyViolation ? "" : e.ToString())}");
        }
        // Shown by `dotnet test --logger 'console;verbosity=normal'`: what a passing seed did and where the time went.
        Console.WriteLine($"property {scenario.Describe()}: passed in {sw.Elapsed.TotalSeconds:F0} s\n  {string.Join("\n  ", run!.Log)}");
    }

    private async Task RunStepsAsync()
    {
        foreach (var (img, i) in world.Images.Select((img, i) => (img, i)))
            _model.Head[img] = await PropertyWorld.ShaAsync(PropertyWorld.Spec(img));
        _listed = await world.ListAsync();
        foreach (var action in scenario.Actions)
        {
            _log.Add(action.ToString());
            var sw = Stopwatch.StartNew();
            var (kind, outcome, plainOk) = await StepAsync(action);
            var added = await CheckAsync(kind, plainOk);
            _log[^1] += $"  -> {outcome}{(added.Count == 0 ? "" : "; new: " + string.Join(", ", added.Select(a => $"img{Array.IndexOf(world.Images, a.Image)} {a.RestorePoint} {a.Type}")))}" +
                        string.Create(CultureInfo.InvariantCulture, $" [{sw.Elapsed.TotalSeconds:F1} s with checks]");
        }
        await FinalAsync();
    }

    private async Task<(StepKind, string, bool)> StepAsync(PropAction action)
    {
        switch (action)
        {
            case WriteAction w:
                var img = world.Images[w.Image];
                await PropertyWorld.WriteAsync(img, w.Extents, w.DataSeed);
                _model.Head[img] = await PropertyWorld.ShaAsync(PropertyWorld.Spec(img));
                return (StepKind.Other, "written", false);
            case ExecAction:
                var r = await world.RunAsync("exec");
                PropertyWorld.RequireClean("exec", r.ExitCode, r.Stdout, r.Stderr, 0);
                _execTimes.Add(r.Elapsed);
                return (StepKind.Exec, r.Outcome, true);
            case KillExecAction k:
                var typical = _execTimes.Count == 0 ? TimeSpan.FromSeconds(2.5) : TimeSpan.FromTicks((long)_execTimes.Average(t => t.Ticks));
                var kr = await world.RunKilledAsync(typical * k.Moment, "exec");
                PropertyWorld.RequireClean("exec (to be killed)", kr.ExitCode, kr.Stdout, kr.Stderr, 0);
                return (StepKind.KilledExec, kr.Killed ? kr.Outcome : $"finished before the kill: {kr.Outcome}", false);
            case RemoveNewestSnapshotAction s:
                var snaps = await PropertyWorld.JobSnapshotsAsync(world.Images[s.Image]);
                if (snaps.Count == 0) return (StepKind.Other, "no job snapshot", false);
                await TestRbd.RunAsync("snap", "rm", "--no-progress", $"{PropertyWorld.Spec(world.Images[s.Image])}@{snaps[^1]}");
                return (StepKind.Other, $"removed {snaps[^1]}", false);
            case DamageAction d:
                return (StepKind.Other, Damage(d), false);
            case RetentionAction:
                return (StepKind.Retention, await VerbAsync("retention", 0), false);
            case TrimSnapAction:
                return (StepKind.Other, await VerbAsync("trimsnap", 0), false);
            case VerifyAction v:
                var damagedListed = _listed.Any(p => _model.Damaged.ContainsKey(p.Key));
                var args = v.Deep ? new[] { "verify", "--deep" } : ["verify"];
                return (StepKind.Other, await VerbAsync(args, damagedListed ? 6 : 0), false);
            default:
                throw new InvalidOperationException($"unknown action {action}");
        }
    }

    private async Task<string> VerbAsync(string verb, int expected) => await VerbAsync([verb], expected);

    private async Task<string> VerbAsync(string[] args, int expected)
    {
        var r = await world.RunAsync(args);
        PropertyWorld.RequireClean(string.Join(' ', args), r.ExitCode, r.Stdout, r.Stderr, expected);
        return r.Outcome;
    }

    private string Damage(DamageAction d)
    {
        var image = world.Images[d.Image];
        var candidates = _listed.Where(p => p.Image == image).OrderBy(p => p.Chain).ThenBy(p => p.Point).SkipLast(1)
            .Where(p => world.StoredFile(p) is not null).ToList();
        if (candidates.Count == 0) return "no non-newest point with a file";
        var victim = candidates[Math.Min(candidates.Count - 1, (int)(d.Pick * candidates.Count))];
        var file = world.StoredFile(victim)!;
        string what;
        if (d.Delete)
        {
            File.Delete(file);
            what = "deleted";
        }
        else
        {
            using var f = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
            var at = Math.Min(f.Length - 1, (long)(d.At * f.Length));
            f.Position = at;
            var b = f.ReadByte();
            f.Position = at;
            f.WriteByte((byte)(b ^ 0xff));
            what = string.Create(CultureInfo.InvariantCulture, $"byte {at} of {f.Length} flipped");
        }
        _model.Damaged[victim.Key] = _model.Damaged.TryGetValue(victim.Key, out var earlier) ? $"{earlier}, {what}" : what;
        return $"{victim.RestorePoint}: {what}";
    }

    /// <summary>The invariants after every step; returns the points the step added (already hashed and recorded).</summary>
    private async Task<List<ListedPoint>> CheckAsync(StepKind kind, bool plainExecOk)
    {
        if (world.FatalInLogs() is { } fatal) throw new PropertyViolation($"internal error in the log file: {fatal}");
        var now = await world.ListAsync();
        var added = _model.Reconcile(_listed, now, kind, plainExecOk);
        foreach (var p in added) await RecordAsync(p);
        foreach (var p in now.Where(p => !_model.Damaged.ContainsKey(p.Key)))
        {
            var file = world.StoredFile(p) ?? throw new PropertyViolation($"{p.Image} {p.RestorePoint} is listed but {world.PointFile(p)} does not exist");
            var size = new FileInfo(file).Length;
            if (size != p.SizeBytes) throw new PropertyViolation($"{file} has {size} bytes, list says {p.SizeBytes}");
        }
        _listed = now;
        return added;
    }

    /// <summary>Hashes a new point's source snapshot at once and checks it is the image as it was when the exec ran.</summary>
    private async Task RecordAsync(ListedPoint p)
    {
        var snap = $"{PropertyWorld.Spec(p.Image)}@{PropertyWorld.Snapshot(p)}";
        string sha;
        try { sha = await PropertyWorld.ShaAsync(snap); }
        catch (InvalidOperationException e) { throw new PropertyViolation($"new point {p.Image} {p.RestorePoint}: its snapshot cannot be read right after the exec: {e.Message}"); }
        if (sha != _model.Head[p.Image])
            throw new PropertyViolation($"new point {p.Image} {p.RestorePoint}: snapshot {snap} is not the image as it was when exec ran");
        _model.Points[p.Key] = new KnownPoint(p, sha, _log.Count - 1);
    }

    /// <summary>Every listed point restores bit-exact or (if it needs a damaged file) is refused cleanly; then no chain is stalled.</summary>
    private async Task FinalAsync()
    {
        var sw = Stopwatch.StartNew();
        _log.Add("final: restore every listed point");
        foreach (var p in _listed) await RestoreAsync(p, _model.Tainted(p));
        _log.Add(string.Create(CultureInfo.InvariantCulture, $"  {_listed.Count} restores in {sw.Elapsed.TotalSeconds:F1} s"));

        _log.Add("final: one more exec");
        var r = await world.RunAsync("exec");
        PropertyWorld.RequireClean("final exec", r.ExitCode, r.Stdout, r.Stderr, 0);
        var added = await CheckAsync(StepKind.Exec, plainExecOk: true);
        foreach (var p in added) await RestoreAsync(p, tainted: false);
        _log[^1] += $"  -> {r.Outcome}; {added.Count} new points restored bit-exact";
    }

    private async Task RestoreAsync(ListedPoint p, bool tainted)
    {
        var target = "cbt-pr-" + TestEnv.Unique();
        world.Bed.Images.Add(target);
        var r = await world.RunAsync("restore", p.Job, p.Image, p.RestorePoint, target);
        var what = $"restore {p.Image} {p.RestorePoint}{(tainted ? " (needs a damaged file)" : "")}";
        PropertyWorld.RequireClean(what, r.ExitCode, r.Stdout, r.Stderr, tainted ? [0, 5, 6] : [0]);
        if (r.ExitCode == 0)
        {
            var sha = await PropertyWorld.ShaAsync(PropertyWorld.Spec(target));
            await TestRbd.PurgeAndRemoveAsync(TestEnv.Pool, target);
            if (sha != _model.Points[p.Key].SourceSha256)
                throw new PropertyViolation($"{what}: restored content differs from the source snapshot (sha256 {sha}, recorded {_model.Points[p.Key].SourceSha256})");
            _log.Add($"  {what}: bit-exact");
        }
        else
        {
            if (await PropertyWorld.ExistsAsync(target)) throw new PropertyViolation($"{what}: refused (exit {r.ExitCode}) but left image {target}");
            if (r.Stderr.Trim().Split('\n').Length != 1) throw new PropertyViolation($"{what}: refusal is not one line:\n{r.Stderr}");
            _log.Add($"  {what}: refused, exit {r.ExitCode}: {r.Stderr.Trim()}");
        }
    }
}
