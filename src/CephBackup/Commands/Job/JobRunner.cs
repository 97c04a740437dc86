using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Job;

public static class JobRunner
{
    public static async Task<int> RunAsync(JobArgs a, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var jobs = app.JobAdmin();
        var name = a.Name ?? "";
        switch (a.Action)
        {
            case JobAction.List:
                var all = await jobs.ListAsync(ct);
                await stdout.WriteAsync(a.Json ? OutputJson.Serialize(all.Select(AdminFormatter.JobJson)) : AdminFormatter.JobsTable(all));
                break;
            case JobAction.Show:
                var one = await jobs.ShowAsync(name, ct);
                await stdout.WriteAsync(a.Json ? OutputJson.Serialize(AdminFormatter.JobJson(one)) : AdminFormatter.JobDetail(one));
                break;
            case JobAction.Add:
                var added = await jobs.AddAsync(name, a.Options!, ct);
                app.Log.Information("job add {Job}: id {Id}, path {Path}", name, added.Job.Id, added.Job.Path);
                await stdout.WriteAsync(AdminFormatter.JobDetail(added));
                break;
            case JobAction.Set:
                var changed = await jobs.SetAsync(name, a.Options!, ct);
                app.Log.Information("job set {Job}: {Options}", name, a.Options);
                await stdout.WriteAsync(AdminFormatter.JobDetail(changed));
                break;
            case JobAction.Enable or JobAction.Disable:
                await jobs.SetEnabledAsync(name, a.Action == JobAction.Enable, ct);
                app.Log.Information("job {Action} {Job}", a.Action.ToString().ToLowerInvariant(), name);
                await stdout.WriteLineAsync($"job {name} {(a.Action == JobAction.Enable ? "enabled" : "disabled")}");
                break;
            case JobAction.Remove:
                var kept = await jobs.RemoveAsync(name, a.Force, ct);
                app.Log.Information("job rm {Job}: {Points} restore point(s) kept in the catalog and on disk", name, kept);
                await stdout.WriteLineAsync($"job {name} removed" + (kept > 0 ? $"; its {kept} restore point(s) stay on disk and in the catalog" : ""));
                break;
            case JobAction.Attach or JobAction.Detach:
                var job = await jobs.RequireJobAsync(name, ct);
                var vms = app.VmAdmin();
                var rows = a.Action == JobAction.Attach ? await vms.AttachAsync(job, a.Vm!, ct) : await vms.DetachAsync(job, a.Vm!, ct);
                var verb = a.Action == JobAction.Attach ? "attached to" : "detached from";
                app.Log.Information("job {Action} {Job} {Vm}: {Images}", a.Action.ToString().ToLowerInvariant(), name, a.Vm, string.Join(",", rows.Select(r => r.Image)));
                foreach (var r in rows) await stdout.WriteLineAsync($"{r.Vm} {r.Image} {verb} job {name}");
                break;
        }
        return (int)ExitCode.Ok;
    }
}
