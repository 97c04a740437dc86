using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.ListVerb;

public static class ListRunner
{
    public static async Task<int> RunAsync(ListArgs args, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var service = new ListService(app.Catalog, app.Rbd, app.Config.Ceph);
        var points = await service.ListAsync(new ListRequest { Vm = args.Vm, Job = args.Job, Image = args.Image }, ct);
        var snapshots = await service.SnapshotsAsync(points, ct);
        await stdout.WriteAsync(args.Json
            ? PointListFormatter.Json(points, snapshots)
            : PointListFormatter.Table(args.Vm, points, app.Time.LocalTimeZone, snapshots));
        return (int)ExitCode.Ok;
    }
}
