using System.Globalization;
using System.Text.RegularExpressions;
using CephBackup.Core.Ceph;

namespace CephBackup.Core.Consistency;

/// <summary>
/// The three virsh calls a backup needs. Every call has the hook timeout: a guest whose agent is dead can
/// block domfsfreeze for a very long time, and a stalled backup window is worse than a crash-consistent one.
/// Failures are returned, never thrown: the caller decides what they cost (a warning, usually).
/// </summary>
public sealed partial class VirshClient(LibvirtOptions options, TimeSpan timeout, IProcessRunner runner)
{
    /// <returns>Ok with the number of frozen filesystems in <see cref="StepOutcome.Output"/>.</returns>
    public Task<StepOutcome> FreezeAsync(string domain, CancellationToken ct) => RunAsync("domfsfreeze", domain, [], ct);

    public Task<StepOutcome> ThawAsync(string domain, CancellationToken ct) => RunAsync("domfsthaw", domain, [], ct);

    /// <summary>The persistent definition (<c>--inactive</c>: what a restore defines, not the live state).</summary>
    public Task<StepOutcome> DumpXmlAsync(string domain, CancellationToken ct) => RunAsync("dumpxml", domain, ["--inactive"], ct);

    /// <summary>"Froze 2 filesystem(s)" → 2; null when virsh printed something else.</summary>
    public static int? FilesystemCount(string output)
    {
        var m = CountLine().Match(output);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public IReadOnlyList<string> Argv(string command, string domain, IReadOnlyList<string> extra) =>
        // --domain, not a positional: a domain name starting with '-' must not be read as an option.
        ["-c", options.Uri, command, "--domain", domain, .. extra];

    private async Task<StepOutcome> RunAsync(string command, string domain, IReadOnlyList<string> extra, CancellationToken ct)
    {
        var what = $"virsh {command} {domain}";
        ProcessResult r;
        try { r = await runner.RunAsync(new ProcessSpec(options.VirshPath, Argv(command, domain, extra)) { Timeout = timeout }, ct); }
        catch (CephBackupException e) { return new StepOutcome($"{what}: {e.Message}"); }
        if (r.TimedOut)
            return new StepOutcome($"{what} timed out after {HookRunner.Seconds(timeout)} s (killed)", TimedOut: true);
        if (r.ExitCode != 0)
            return new StepOutcome($"{what} failed with exit code {r.ExitCode}{HookRunner.Tail(r.StderrTail)}");
        return StepOutcome.Success(r.Stdout);
    }

    [GeneratedRegex(@"(?:Froze|Thawed) ([0-9]+) filesystem")]
    private static partial Regex CountLine();
}
