using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Restore;

public static class RestoreRunner
{
    public static async Task<int> RunAsync(RestoreArgs a, AppServices app, TextWriter stdout, TerminalProgress? progress, CancellationToken ct)
    {
        if (a.ToFile is not null)
            return await Mount.RestoreToFileRunner.RunAsync(new(a.ToFile, a.Job, a.Image, a.RestorePoint, a.FromDir, a.ForceUnverified, a.Json), app, stdout, progress, ct);
        var service = app.Restore();
        RestorePlan plan;
        var targetChecked = false;
        // The --from-dir form must work with the database down: it reads sidecars and never touches app.Catalog.
        if (a.FromDir is not null)
            plan = RestoreSources.FromDirectory(a.FromDir, a.RestorePoint, a.NewName, a.Pool ?? app.Config.Ceph.Pool);
        else
        {
            var request = new CatalogRestoreRequest
            {
                Job = a.Job!, Image = a.Image!, RestorePoint = a.RestorePoint, NewName = a.NewName, Pool = a.Pool,
                ForceUnverified = a.ForceUnverified,
            };
            (plan, targetChecked) = await service.PlanAsync(RestoreSources.TargetOf(request, app.Config.Ceph), async () =>
            {
                await app.RequireMigratedAsync(ct);
                return await RestoreSources.FromCatalogAsync(app.Catalog, app.Config.Ceph, request, ct);
            }, ct);
        }
        try
        {
            if (a.DryRun) return await DryRunAsync(a, plan, targetChecked, service, stdout, progress, ct);
            var r = await service.RestoreAsync(plan, new RestoreOptions
            {
                KeepSnapshots = a.KeepSnapshots, VerifyFirst = a.VerifyFirst, TargetChecked = targetChecked,
            }, progress, ct);
            progress?.Finish();
            if (a.Json)
                await stdout.WriteLineAsync(JsonObjectWriter.Compact.Serialize(new
                {
                    image = r.Image.ToString(), restorePoint = plan.RestorePoint, source = plan.Source, sizeBytes = r.SizeBytes,
                    files = r.Files, elapsedSeconds = Math.Round(r.Elapsed.TotalSeconds, 3), snapshotsKept = a.KeepSnapshots, warnings = r.Warnings,
                }));
            else
            {
                foreach (var w in r.Warnings) await stdout.WriteLineAsync("warning: " + w);
                await stdout.WriteLineAsync($"restored {plan.RestorePoint} into {r.Image} ({IecSize.Format(r.SizeBytes)}, {r.Files} files) in {ReportFormatter.Duration(r.Elapsed)}");
            }
            return (int)ExitCode.Ok;
        }
        finally
        {
            progress?.Finish();
        }
    }

    private static async Task<int> DryRunAsync(RestoreArgs a, RestorePlan plan, bool targetChecked, RestoreService service,
        TextWriter stdout, TerminalProgress? progress, CancellationToken ct)
    {
        // The same refusals as a real run, in the same order: target first, then the files.
        if (!targetChecked) await service.CheckTargetAsync(plan.Target, ct);
        var checks = await service.CheckFilesAsync(plan, progress, ct);
        progress?.Finish();
        var ok = checks.All(c => c.Problem is null);
        if (a.Json)
            await stdout.WriteLineAsync(JsonObjectWriter.Compact.Serialize(new
            {
                dryRun = true, target = plan.Target.ToString(), restorePoint = plan.RestorePoint, source = plan.Source,
                imageSizeBytes = plan.ImageSizeBytes, ok,
                files = checks.Select(c => new
                {
                    restorePoint = c.File.RestorePoint, type = c.File.Type.ToString().ToLowerInvariant(), path = c.File.Path,
                    sizeBytes = c.File.SizeBytes, sha256 = c.File.Sha256, verified = c.Verified, problem = c.Problem,
                }),
            }));
        else
        {
            await stdout.WriteLineAsync($"dry run: {plan.Source} {plan.RestorePoint} -> {plan.Target} ({IecSize.Format(plan.ImageSizeBytes)}); pool exists, name is free; nothing is written");
            foreach (var c in checks)
                await stdout.WriteLineAsync($"  {c.File.RestorePoint} {c.File.Type.ToString().ToLowerInvariant(),-12} {IecSize.Format(c.File.SizeBytes),12}  " +
                                            $"sha256 {(c.Verified ? "verified" : c.Problem is null ? "not recorded" : "FAILED")}  {c.File.Path}" +
                                            (c.Problem is null ? "" : $"\n    {c.Problem}"));
            await stdout.WriteLineAsync(ok ? "all files verified: the restore would proceed" : "the restore would be refused");
        }
        return (int)(ok ? ExitCode.Ok : ExitCode.VerificationFailed);
    }
}
