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
        var points = await app.List().ListAsync(new ListRequest { Vm = args.Vm, Job = args.Job, Image = args.Image }, ct);
        await stdout.WriteAsync(args.Json
            ? PointListFormatter.Json(points)
            : PointListFormatter.Table(args.Vm, points, app.Time.LocalTimeZone));
        return (int)ExitCode.Ok;
    }
}
