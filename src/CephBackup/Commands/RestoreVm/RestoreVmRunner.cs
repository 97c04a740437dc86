using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.RestoreVm;

public static class RestoreVmRunner
{
    public static async Task<int> RunAsync(RestoreVmArgs a, AppServices app, TextWriter stdout, TerminalProgress? progress, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var restore = app.Restore();
        var service = new VmRestoreService(app.Catalog, restore, app.Config.Ceph, app.Log);
        var plans = await service.PlanAsync(new VmRestoreRequest
        {
            Job = a.Job, Vm = a.Vm, RestorePoint = a.RestorePoint, Suffix = a.Suffix, Pool = a.Pool, ForceUnverified = a.ForceUnverified,
        }, ct);
        var parallelism = app.Config.Backup.Parallelism;
        try
        {
            if (a.DryRun) return await DryRunAsync(a, plans, restore, stdout, progress, ct);
            // One status line cannot show several disks at once: progress only when they run one by one.
            var results = await service.RestoreAsync(plans, parallelism, new RestoreOptions(), parallelism == 1 || plans.Count == 1 ? progress : null, ct);
            progress?.Finish();
            if (a.Json)
                await stdout.WriteLineAsync(JsonObjectWriter.Compact.Serialize(new
                {
                    job = a.Job, vm = a.Vm, restorePoint = a.RestorePoint,
                    images = plans.Zip(results, (p, r) => new
                    {
                        source = p.Source, image = r.Image.ToString(), sizeBytes = r.SizeBytes, files = r.Files,
                        elapsedSeconds = Math.Round(r.Elapsed.TotalSeconds, 3), warnings = r.Warnings,
                    }),
                }));
            else
                foreach (var (p, r) in plans.Zip(results))
                {
                    foreach (var w in r.Warnings) await stdout.WriteLineAsync("warning: " + w);
                    await stdout.WriteLineAsync($"restored {p.Source} {p.RestorePoint} into {r.Image} ({IecSize.Format(r.SizeBytes)}, {r.Files} files) in {ReportFormatter.Duration(r.Elapsed)}");
                }
            return (int)ExitCode.Ok;
        }
        finally
        {
            progress?.Finish();
        }
    }

    private static async Task<int> DryRunAsync(RestoreVmArgs a, IReadOnlyList<RestorePlan> plans, RestoreService restore, TextWriter stdout,
        TerminalProgress? progress, CancellationToken ct)
    {
        foreach (var p in plans) await restore.CheckTargetAsync(p.Target, ct);
        var checks = new List<(RestorePlan Plan, IReadOnlyList<FileCheck> Files)>();
        foreach (var p in plans) checks.Add((p, await restore.CheckFilesAsync(p, progress, ct)));
        progress?.Finish();
        var ok = checks.All(c => c.Files.All(f => f.Problem is null));
        if (a.Json)
            await stdout.WriteLineAsync(JsonObjectWriter.Compact.Serialize(new
            {
                dryRun = true, job = a.Job, vm = a.Vm, restorePoint = a.RestorePoint, ok,
                images = checks.Select(c => new
                {
                    source = c.Plan.Source, image = c.Plan.Target.ToString(), sizeBytes = c.Plan.ImageSizeBytes,
                    problems = c.Files.Where(f => f.Problem is not null).Select(f => f.Problem),
                }),
            }));
        else
        {
            foreach (var (p, files) in checks)
            {
                await stdout.WriteLineAsync($"dry run: {p.Source} {p.RestorePoint} -> {p.Target} ({IecSize.Format(p.ImageSizeBytes)}, {files.Count} files)");
                foreach (var f in files.Where(f => f.Problem is not null)) await stdout.WriteLineAsync("  " + f.Problem);
            }
            await stdout.WriteLineAsync(ok ? "all files verified: the restore would proceed" : "the restore would be refused");
        }
        return (int)(ok ? ExitCode.Ok : ExitCode.VerificationFailed);
    }
}
