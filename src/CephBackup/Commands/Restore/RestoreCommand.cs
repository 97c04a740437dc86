using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Core;

namespace CephBackup.Commands.Restore;

public static class RestoreCommand
{
    public static Command Create(GlobalOptions global, Func<RestoreArgs, CancellationToken, Task<int>> action)
    {
        // One variadic argument rather than four: with --from-dir the first two are left out, and
        // System.CommandLine would otherwise hand RESTPOINT and NEW-NAME to JOB and IMAGE.
        var positional = new Argument<string[]>("JOB IMAGE RESTPOINT NEW-NAME")
        {
            Description = "Job name, vms.image value, restore point (CHAIN-POINT, e.g. 000001-000003) and the name of the new image; " +
                          "with --from-dir only RESTPOINT NEW-NAME",
            Arity = new ArgumentArity(1, 4),
        };
        var fromDir = new Option<string?>("--from-dir")
        {
            Description = "Restore from a chain folder using the .json/.sha256 sidecars only (no database needed)",
            HelpName = "FOLDER",
        };
        var pool = new Option<string?>("--pool") { Description = "Pool of the new image (default: the source image's pool; with --from-dir Ceph:Pool)", HelpName = "POOL" };
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Check everything a real restore checks (pool, free name, every file's size and sha256) and print the files in order; write nothing",
        };
        var verifyFirst = new Option<bool>("--verify-first")
        {
            Description = "Read and check every file before creating the image (reads each file twice); default: check while importing, remove the image on a mismatch",
        };
        var keep = new Option<bool>("--keep-snapshots") { Description = "Let import-diff create its snapshots on the new image (default: none is made)" };
        var force = new Option<bool>("--force-unverified") { Description = "Allow points whose checksum was not recorded when they were written" };
        var json = new Option<bool>("--json") { Description = "Machine output on stdout (one JSON object), no progress" };
        var toFile = new Option<string?>("--to-file") { Description = "Write a sparse raw image file instead (JOB IMAGE RESTPOINT, or --from-dir FOLDER RESTPOINT); nothing is done on Ceph", HelpName = "PATH" };
        var cmd = new Command("restore", "Restore a restore point into a new RBD image (never overwrites)\n\n" +
                              ExitCodes.Help(ExitCode.InvalidInput, ExitCode.VerificationFailed, ExitCode.DatabaseError, ExitCode.CephError,
                                  ExitCode.StorageError, ExitCode.CleanupIncomplete))
        {
            positional, fromDir, pool, dryRun, verifyFirst, keep, force, json, toFile,
        };
        cmd.Validators.Add(r =>
        {
            // Token count, not GetValue: the value throws when the arity check has already failed.
            var n = r.GetResult(positional)?.Tokens.Count ?? 0;
            if (n is < 1 or > 4) return;
            if (r.GetValue(toFile) is not null)
            {
                if (n != (r.GetValue(fromDir) is null ? 3 : 1)) r.AddError("restore --to-file PATH takes JOB IMAGE RESTPOINT (or --from-dir FOLDER RESTPOINT)");
                if (r.GetValue(dryRun) || r.GetValue(keep) || r.GetValue(pool) is not null) r.AddError("--to-file cannot be combined with --dry-run, --keep-snapshots or --pool");
                return;
            }
            if (r.GetValue(fromDir) is not null && n != 2)
                r.AddError("restore --from-dir FOLDER takes exactly RESTPOINT NEW-NAME");
            else if (r.GetValue(fromDir) is null && n != 4)
                r.AddError("restore takes JOB IMAGE RESTPOINT NEW-NAME (or --from-dir FOLDER RESTPOINT NEW-NAME)");
        });
        cmd.SetAction((pr, ct) =>
        {
            var p = pr.GetValue(positional)!;
            var fromDirValue = pr.GetValue(fromDir);
            var toFileValue = pr.GetValue(toFile);
            return action(new RestoreArgs
            {
                ConfigPath = pr.GetValue(global.Config),
                Job = fromDirValue is null ? p[0] : null,
                Image = fromDirValue is null ? p[1] : null,
                RestorePoint = toFileValue is null ? p[^2] : p[^1],
                NewName = toFileValue is null ? p[^1] : "",
                ToFile = toFileValue,
                FromDir = fromDirValue,
                Pool = pr.GetValue(pool),
                DryRun = pr.GetValue(dryRun),
                KeepSnapshots = pr.GetValue(keep),
                VerifyFirst = pr.GetValue(verifyFirst),
                ForceUnverified = pr.GetValue(force),
                Json = pr.GetValue(json),
            }, ct);
        });
        return cmd;
    }
}
