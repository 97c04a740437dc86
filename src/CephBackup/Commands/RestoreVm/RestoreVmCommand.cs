using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Core;

namespace CephBackup.Commands.RestoreVm;

public static class RestoreVmCommand
{
    public static Command Create(GlobalOptions global, Func<RestoreVmArgs, CancellationToken, Task<int>> action)
    {
        var job = new Argument<string>("JOB") { Description = "Job name" };
        var vm = new Argument<string>("VM") { Description = "The VM name (vms.vm)" };
        var point = new Argument<string>("RESTPOINT") { Description = "Restore point shared by the VM's disks (CHAIN-POINT, e.g. 000001-000003)" };
        var suffix = new Option<string>("--suffix")
        {
            Description = "Appended to each disk's image name to make the new names (required: restore never overwrites)",
            HelpName = "SUFFIX", Required = true,
        };
        var pool = new Option<string?>("--pool") { Description = "Pool of the new images (default: each source image's pool)", HelpName = "POOL" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check everything a real restore checks (pools, free names, every file); write nothing" };
        var force = new Option<bool>("--force-unverified") { Description = "Allow points whose checksum was not recorded when they were written" };
        var json = new Option<bool>("--json") { Description = "Machine output on stdout (one JSON object), no progress" };
        var cmd = new Command("restore-vm", "Restore every disk of a VM at one restore point into <image><SUFFIX>, in parallel (Backup:Parallelism), all or nothing\n\n" +
                              ExitCodes.Help(ExitCode.InvalidInput, ExitCode.VerificationFailed, ExitCode.DatabaseError, ExitCode.CephError,
                                  ExitCode.StorageError, ExitCode.CleanupIncomplete))
        {
            job, vm, point, suffix, pool, dryRun, force, json,
        };
        cmd.SetAction((pr, ct) => action(new RestoreVmArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Job = pr.GetValue(job)!,
            Vm = pr.GetValue(vm)!,
            RestorePoint = pr.GetValue(point)!,
            Suffix = pr.GetValue(suffix)!,
            Pool = pr.GetValue(pool),
            DryRun = pr.GetValue(dryRun),
            ForceUnverified = pr.GetValue(force),
            Json = pr.GetValue(json),
        }, ct));
        return cmd;
    }
}
