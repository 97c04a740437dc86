using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Core.Nbd;

namespace CephBackup.Commands.Mount;

public static class MountCommand
{
    public static Command Create(GlobalOptions global, Func<MountArgs, CancellationToken, Task<int>> action)
    {
        // One variadic argument, as restore does: with --from-dir JOB and IMAGE are left out.
        var positional = new Argument<string[]>("JOB IMAGE RESTPOINT")
        {
            Description = "Job name, vms.image value and restore point (CHAIN-POINT, e.g. 000001-000003); with --from-dir only RESTPOINT",
            Arity = new ArgumentArity(1, 3),
        };
        var fromDir = new Option<string?>("--from-dir")
        {
            Description = "Serve from a chain folder using the .json/.sha256 sidecars only (no database needed)",
            HelpName = "FOLDER",
        };
        var listen = new Option<string?>("--listen")
        {
            Description = "unix:PATH or tcp:ADDR:PORT (default: unix socket /run/cephbackup/JOB-IMAGE-POINT.sock). NBD has no authentication",
            HelpName = "ADDRESS",
        };
        var exportName = new Option<string?>("--export-name") { Description = "Export name (default JOB-IMAGE-POINT; the default export \"\" works too)", HelpName = "NAME" };
        var verify = new Option<VerifyMode>("--verify")
        {
            Description = "first: check every file's sha256 before serving (default); background: serve at once, fail reads with EIO once a mismatch is found",
            DefaultValueFactory = _ => VerifyMode.First,
        };
        var force = new Option<bool>("--force-unverified") { Description = "Allow points whose checksum was not recorded when they were written" };
        var cmd = new Command("mount", "Serve a restore point read-only over NBD (nbd-client, qemu-nbd, nbdfuse) until Ctrl-C / SIGTERM")
        {
            positional, fromDir, listen, exportName, verify, force,
        };
        cmd.Validators.Add(r =>
        {
            var n = r.GetResult(positional)?.Tokens.Count ?? 0;
            if (n is < 1 or > 3) return;
            if (r.GetValue(fromDir) is not null && n != 1)
                r.AddError("mount --from-dir FOLDER takes exactly RESTPOINT");
            else if (r.GetValue(fromDir) is null && n != 3)
                r.AddError("mount takes JOB IMAGE RESTPOINT (or --from-dir FOLDER RESTPOINT)");
        });
        cmd.SetAction((pr, ct) =>
        {
            var p = pr.GetValue(positional)!;
            var dir = pr.GetValue(fromDir);
            return action(new MountArgs
            {
                ConfigPath = pr.GetValue(global.Config),
                Job = dir is null ? p[0] : null,
                Image = dir is null ? p[1] : null,
                RestorePoint = p[^1],
                FromDir = dir,
                Listen = pr.GetValue(listen),
                ExportName = pr.GetValue(exportName),
                Verify = pr.GetValue(verify),
                ForceUnverified = pr.GetValue(force),
            }, ct);
        });
        return cmd;
    }
}
