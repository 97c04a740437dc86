using System.CommandLine;
using System.Globalization;
using CephBackup.Cli;
using CephBackup.Core;

namespace CephBackup.Commands.Verify;

public static class VerifyCommand
{
    public static Command Create(GlobalOptions global, Func<VerifyArgs, CancellationToken, Task<int>> action)
    {
        var job = new Option<string?>("--job") { Description = "Only points of this job", HelpName = "NAME" };
        var vm = new Option<string?>("--vm") { Description = "Only points of this VM", HelpName = "VM" };
        var image = new Option<string?>("--image") { Description = "Only points of this image (the vms.image value)", HelpName = "IMAGE" };
        var since = CommonOptions.Day("--since", "Only points that ended on or after this day (local time)");
        var deep = new Option<bool>("--deep")
        {
            Description = "Also restore the newest point of each chain (each differential) into a scratch image and compare it with the source snapshot",
        };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON document (docs/JSON.md); console logging goes to stderr, no progress line" };
        var cmd = new Command("verify", "Re-read backup files and check them against the recorded size and sha256\n\n" +
            ExitCodes.Help(ExitCode.InvalidInput, ExitCode.VerificationFailed, ExitCode.DatabaseError, ExitCode.CephError, ExitCode.CleanupIncomplete)) { job, vm, image, since, deep, json };
        cmd.SetAction((pr, ct) => action(new VerifyArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Job = pr.GetValue(job),
            Vm = pr.GetValue(vm),
            Image = pr.GetValue(image),
            Since = pr.GetValue(since),
            Deep = pr.GetValue(deep),
            Json = pr.GetValue(json),
        }, ct));
        return cmd;
    }
}
