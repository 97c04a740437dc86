using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Nbd;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Mount;

public static class MountRunner
{
    public static async Task<int> RunAsync(MountArgs a, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        var plan = await MountPlan.ResolveAsync(app, a.Job, a.Image, a.RestorePoint, a.FromDir, a.ForceUnverified, ct);
        var (job, image) = MountPlan.Names(plan, a.Job, a.Image);
        var address = a.Listen is null ? NbdListenAddress.DefaultUnix(job, image, plan.RestorePoint) : NbdListenAddress.Parse(a.Listen);
        var exportName = a.ExportName ?? $"{job}-{image}-{plan.RestorePoint}".Replace('/', '_');

        var chain = ChainImage.Open(plan);
        app.Log.Information("Mount {Source} {RestorePoint}: {Files} files, {Extents} extents ({IndexBytes} bytes of index), {Size} bytes",
            plan.Source, plan.RestorePoint, plan.Files.Count, chain.Index.Count, chain.Index.MemoryBytes, chain.Size);
        if (a.Verify == VerifyMode.First)
        {
            await stdout.WriteLineAsync($"checking {plan.Files.Count} files ({IecSize.Format(plan.TotalBytes)}) against their recorded sha256 before serving " +
                                        "(--verify background serves at once)");
            var check = await ChainVerifier.CheckAsync(chain, null, ct);
            if (check.Problem is not null) throw new CephBackupException(ExitCode.VerificationFailed, check.Problem + "; nothing is served");
            foreach (var f in check.Unverified) await stdout.WriteLineAsync($"warning: {f} has no recorded checksum; served unverified");
        }

        using var listener = address.Bind();
        try
        {
            var uri = NbdListenAddress.Uri(listener, exportName);
            await stdout.WriteLineAsync($"serving {plan.Source} {plan.RestorePoint} ({IecSize.Format(chain.Size)}) read-only at {uri}");
            await stdout.WriteLineAsync("NBD has no authentication: anyone who can reach the address can read the disk. Ctrl-C or SIGTERM stops.");
            app.Log.Information("Serving {Source} {RestorePoint} at {Uri}", plan.Source, plan.RestorePoint, uri);
            var server = new NbdServer(new NbdExport(exportName, $"cephbackup {plan.Source} {plan.RestorePoint}", chain), app.Log);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var background = a.Verify == VerifyMode.Background ? VerifyInBackgroundAsync(chain, app, stdout, stop.Token) : Task.CompletedTask;
            await server.ServeAsync(listener, ct);
            await stop.CancelAsync();
            await background;
            app.Log.Information("Stopped serving {RestorePoint} after {Connections} connections", plan.RestorePoint, server.Connections);
            await stdout.WriteLineAsync($"stopped after {server.Connections} connections");
            return (int)(chain.Corruption is null ? ExitCode.Ok : ExitCode.VerificationFailed);
        }
        finally
        {
            if (address.UnixPath is { } path) File.Delete(path);
        }
    }

    private static async Task VerifyInBackgroundAsync(ChainImage chain, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        try
        {
            var check = await Task.Run(() => ChainVerifier.CheckAsync(chain, null, ct), ct);
            if (check.Problem is not null)
            {
                app.Log.Error("{Problem}; every read now fails with EIO", check.Problem);
                await stdout.WriteLineAsync($"error: {check.Problem}; every read now fails with EIO");
            }
            else
            {
                app.Log.Information("All {Files} files of {RestorePoint} match their recorded sha256", chain.Plan.Files.Count, chain.Plan.RestorePoint);
                await stdout.WriteLineAsync("background check: every file matches its recorded sha256");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
