using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.Core.Nbd;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Mount;

/// <summary><c>restore … --to-file PATH</c>: the restore point as a sparse raw image file; nothing is done on Ceph.</summary>
public static class RestoreToFileRunner
{
    public sealed record Request(string ToFile, string? Job, string? Image, string RestorePoint, string? FromDir, bool ForceUnverified, bool Json);

    public static async Task<int> RunAsync(Request r, AppServices app, TextWriter stdout, IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        var target = Path.GetFullPath(r.ToFile);
        if (File.Exists(target) || Directory.Exists(target))
            throw new CephBackupException(ExitCode.InvalidInput, $"{target} already exists: --to-file never overwrites, choose another path");
        var plan = await MountPlan.ResolveAsync(app, r.Job, r.Image, r.RestorePoint, r.FromDir, r.ForceUnverified, ct);
        var chain = ChainImage.Open(plan);
        // As restore does: every file is checked against its recorded sha256 before anything is created.
        var n = plan.Files.Count;
        var check = await ChainVerifier.CheckAsync(chain,
            (i, b) => progress?.Report(new(RestorePhase.Verify, i, n, plan.Files[i].Path, b, plan.Files[i].SizeBytes)), ct);
        if (check.Problem is not null)
            throw new CephBackupException(ExitCode.VerificationFailed, $"{check.Problem}; nothing was created");

        var result = await new RawImageWriter(app.Time, app.Log).WriteAsync(chain, target,
            b => progress?.Report(new(RestorePhase.Import, n, n + 1, target, b, chain.Size)), ct);
        if (r.Json)
            await stdout.WriteLineAsync(JsonObjectWriter.Compact.Serialize(new
            {
                file = result.Path, restorePoint = plan.RestorePoint, source = plan.Source, sizeBytes = result.SizeBytes,
                dataBytes = result.DataBytes, files = n, elapsedSeconds = Math.Round(result.Elapsed.TotalSeconds, 3),
                unverified = check.Unverified,
            }));
        else
        {
            foreach (var f in check.Unverified) await stdout.WriteLineAsync($"warning: {f} has no recorded checksum; restored unverified");
            await stdout.WriteLineAsync($"restored {plan.RestorePoint} into {result.Path} ({IecSize.Format(result.SizeBytes)}, " +
                                        $"{IecSize.Format(result.DataBytes)} data, sparse, {n} files) in {ReportFormatter.Duration(result.Elapsed)}");
        }
        return (int)ExitCode.Ok;
    }
}
