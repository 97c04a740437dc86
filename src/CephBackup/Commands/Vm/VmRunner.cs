using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Vm;

public static class VmRunner
{
    public static async Task<int> RunAsync(VmArgs a, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var vms = app.VmAdmin();
        switch (a.Action)
        {
            case VmAction.List:
                var rows = await vms.ListAsync(a.Vm, ct);
                if (a.Vm is not null && rows.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"unknown VM '{Core.Ceph.Names.Printable(a.Vm)}'");
                await stdout.WriteAsync(a.Json ? OutputJson.Serialize(rows.Select(AdminFormatter.VmJson)) : AdminFormatter.VmTable(rows));
                break;
            case VmAction.Add:
                var added = await vms.AddAsync(a.Vm!, a.Images, checkCeph: !a.NoCheck, ct);
                app.Log.Information("vm add {Vm}: {Images}{Unchecked}", a.Vm, string.Join(",", a.Images), a.NoCheck ? " (not checked on Ceph)" : "");
                await stdout.WriteAsync(AdminFormatter.VmTable(added));
                break;
            case VmAction.Remove:
                var removed = await vms.RemoveAsync(a.Vm!, a.Images, a.Force, ct);
                app.Log.Information("vm rm {Vm}: {Images}", a.Vm, string.Join(",", removed.Select(r => r.Image)));
                foreach (var r in removed)
                    await stdout.WriteLineAsync($"removed {r.Vm} {r.Image}" + (r.Points > 0 ? $" ({r.Points} restore point(s) stay on disk and in the catalog)" : ""));
                break;
        }
        return (int)ExitCode.Ok;
    }
}
