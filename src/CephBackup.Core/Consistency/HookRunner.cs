using System.Globalization;
using System.Text.RegularExpressions;
using CephBackup.Core.Ceph;

namespace CephBackup.Core.Consistency;

public enum HookPhase { PreSnapshot, PostSnapshot }

/// <summary>One VM of one run, as the hooks and virsh see it.</summary>
/// <param name="Domain">The libvirt domain name: <c>vms.libvirt_name</c>, else <c>vms.vm</c>.</param>
/// <param name="Images">pool/image of every disk about to be snapshotted, in backup order.</param>
/// <param name="Points">The restore point each of those disks gets (same order).</param>
public sealed record VmScope(string Job, string Vm, string Domain, IReadOnlyList<string> Images, IReadOnlyList<string> Points)
{
    /// <summary>The <c>{point}</c> of the hooks: the first disk's (disks of one VM usually share it).</summary>
    public string Point => Points.Count > 0 ? Points[0] : "";
}

/// <summary>How one external step (a hook, a virsh call) ended.</summary>
/// <param name="Error">Null when it succeeded; else one line for the report.</param>
public sealed record StepOutcome(string? Error, bool TimedOut = false, string Output = "")
{
    public bool Ok => Error is null;
    public static StepOutcome Success(string output = "") => new(null, false, output);
}

/// <summary>
/// Runs <c>Hooks:PreSnapshot</c> / <c>Hooks:PostSnapshot</c>: argv with <c>{job}</c>, <c>{vm}</c>, <c>{point}</c>
/// replaced element by element (no shell, so names cannot inject anything), the CEPHBACKUP_* environment,
/// and the hook timeout, after which the process runner kills the hook's whole process tree.
/// </summary>
public sealed partial class HookRunner(HookOptions options, IProcessRunner runner)
{
    public static readonly IReadOnlyList<string> Placeholders = ["{job}", "{vm}", "{point}"];

    public static string PhaseName(HookPhase phase) => phase == HookPhase.PreSnapshot ? "pre-snapshot" : "post-snapshot";

    public IReadOnlyList<string> ArgvOf(HookPhase phase) => phase == HookPhase.PreSnapshot ? options.PreSnapshot : options.PostSnapshot;

    public static IReadOnlyList<string> Expand(IReadOnlyList<string> argv, VmScope s) =>
        argv.Select(a => a.Replace("{job}", s.Job, StringComparison.Ordinal)
                          .Replace("{vm}", s.Vm, StringComparison.Ordinal)
                          .Replace("{point}", s.Point, StringComparison.Ordinal)).ToList();

    public static IReadOnlyDictionary<string, string?> Environment(HookPhase phase, VmScope s) => new Dictionary<string, string?>
    {
        ["CEPHBACKUP_JOB"] = s.Job,
        ["CEPHBACKUP_VM"] = s.Vm,
        ["CEPHBACKUP_DOMAIN"] = s.Domain,
        ["CEPHBACKUP_IMAGES"] = string.Join(' ', s.Images),
        ["CEPHBACKUP_POINT"] = s.Point,
        ["CEPHBACKUP_POINTS"] = string.Join(' ', s.Points),
        ["CEPHBACKUP_PHASE"] = PhaseName(phase),
    };

    /// <summary>Placeholders in <paramref name="argv"/> that are not ours: almost always a typo (<c>{vmname}</c>).</summary>
    public static IReadOnlyList<string> UnknownPlaceholders(IEnumerable<string> argv) =>
        argv.SelectMany(a => PlaceholderLike().Matches(a).Select(m => m.Value))
            .Where(p => !Placeholders.Contains(p)).Distinct().ToList();

    /// <returns>Null when no hook is configured for the phase.</returns>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> fires (the hook's tree is killed first).</exception>
    public async Task<StepOutcome?> RunAsync(HookPhase phase, VmScope scope, CancellationToken ct)
    {
        var argv = ArgvOf(phase);
        if (argv.Count == 0) return null;
        var expanded = Expand(argv, scope);
        var spec = new ProcessSpec(expanded[0], expanded.Skip(1).ToList())
        {
            Environment = Environment(phase, scope),
            Timeout = options.Timeout,
            // Hooks may talk a lot; only the bounded stderr tail is kept for the report.
            StdoutSink = Stream.Null,
        };
        var name = PhaseName(phase) + " hook";
        ProcessResult r;
        try { r = await runner.RunAsync(spec, ct); }
        catch (CephBackupException e) { return new StepOutcome($"{name}: {e.Message}"); }
        if (r.TimedOut)
            return new StepOutcome($"{name} timed out after {Seconds(options.Timeout)} s (its process tree was killed)", TimedOut: true);
        if (r.ExitCode != 0)
            return new StepOutcome($"{name} exited with code {r.ExitCode}{Tail(r.StderrTail)}");
        return StepOutcome.Success(r.StderrTail);
    }

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The last stderr line, for a one-line report entry.</summary>
    internal static string Tail(string stderr)
    {
        var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return last is null ? "" : ": " + (last.Length > 300 ? last[..300] + "…" : last);
    }

    // Lower-case words in braces only, and not ${VAR}: a "/bin/sh -c" hook may use shell expansions.
    [GeneratedRegex(@"(?<!\$)\{[a-z_]+\}")]
    private static partial Regex PlaceholderLike();
}
