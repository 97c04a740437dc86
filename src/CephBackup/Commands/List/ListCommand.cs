using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Core;

// Not ".List": a namespace named List under CephBackup.Commands would shadow List<T> in every sibling verb.
namespace CephBackup.Commands.ListVerb;

public static class ListCommand
{
    public static Command Create(GlobalOptions global, Func<ListArgs, CancellationToken, Task<int>> action)
    {
        var vm = new Argument<string?>("VM") { Description = "The VM name (vms.vm); without it every VM (of --job)", Arity = ArgumentArity.ZeroOrOne };
        var job = new Option<string?>("--job") { Description = "Only restore points of this job", HelpName = "NAME" };
        var image = new Option<string?>("--image") { Description = "Only restore points of this disk image", HelpName = "IMAGE" };
        var json = new Option<bool>("--json")
        {
            Description = "Print a JSON array (job, vm, image, restorePoint, type, time in UTC, sizeBytes, sha256, status, verifiedAt, snapshotExists)",
        };
        var cmd = new Command("list", "List the restore points of every disk of a VM, or of every VM (from the catalog; run 'catalog import' for PHP-era backups)\n\n" +
            ExitCodes.Help(ExitCode.InvalidInput, ExitCode.DatabaseError))
        {
            vm, job, image, json,
        };
        cmd.SetAction((pr, ct) => action(new ListArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Vm = pr.GetValue(vm),
            Job = pr.GetValue(job),
            Image = pr.GetValue(image),
            Json = pr.GetValue(json),
        }, ct));
        return cmd;
    }
}
