using System.CommandLine;
using CephBackup.Cli;
using CephBackup.Core.Jobs;

namespace CephBackup.Commands.Job;

/// <summary><c>job list|show|add|set|enable|disable|rm|attach|detach</c>: backup_jobs and its links without SQL.</summary>
public static class JobCommand
{
    public static Command Create(GlobalOptions global, Func<JobArgs, CancellationToken, Task<int>> action)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON (docs/JSON.md)" };
        var root = new Command("job", "Manage backup jobs (the backup_jobs, backup_days, backup_weeks and backup_vms tables)");

        var list = new Command("list", "List every job") { json };
        list.SetAction((pr, ct) => action(new JobArgs { ConfigPath = pr.GetValue(global.Config), Action = JobAction.List, Json = pr.GetValue(json) }, ct));
        root.Subcommands.Add(list);

        var showName = NameArg();
        var show = new Command("show", "Show one job: settings, schedule, images") { showName, json };
        show.SetAction((pr, ct) => action(new JobArgs { ConfigPath = pr.GetValue(global.Config), Action = JobAction.Show, Name = pr.GetValue(showName), Json = pr.GetValue(json) }, ct));
        root.Subcommands.Add(show);

        root.Subcommands.Add(Edit(global, action, JobAction.Add, "add", "Create a job (validated as exec validates it; also valid for the PHP bkexec.php)"));
        root.Subcommands.Add(Edit(global, action, JobAction.Set, "set", "Change settings of a job (only the options given)"));
        root.Subcommands.Add(Simple(global, action, JobAction.Enable, "enable", "Enable a job (exec runs it)"));
        root.Subcommands.Add(Simple(global, action, JobAction.Disable, "disable", "Disable a job (exec skips it; retention still applies)"));

        var rmName = NameArg();
        var force = new Option<bool>("--force") { Description = "Remove even if the job has restore points (files and catalog points are always kept)" };
        var rm = new Command("rm", "Remove a job, its schedule and its links to VMs; never deletes backup files or catalog points") { rmName, force };
        rm.SetAction((pr, ct) => action(new JobArgs { ConfigPath = pr.GetValue(global.Config), Action = JobAction.Remove, Name = pr.GetValue(rmName), Force = pr.GetValue(force) }, ct));
        root.Subcommands.Add(rm);

        root.Subcommands.Add(Link(global, action, JobAction.Attach, "attach", "Back up every disk image of VM in JOB"));
        root.Subcommands.Add(Link(global, action, JobAction.Detach, "detach", "Stop backing up VM in JOB (its backups stay)"));
        return root;
    }

    private static Argument<string> NameArg() => new("NAME") { Description = "The job name (backup_jobs.name)" };

    private static Command Simple(GlobalOptions global, Func<JobArgs, CancellationToken, Task<int>> action, JobAction what, string verb, string description)
    {
        var name = NameArg();
        var cmd = new Command(verb, description) { name };
        cmd.SetAction((pr, ct) => action(new JobArgs { ConfigPath = pr.GetValue(global.Config), Action = what, Name = pr.GetValue(name) }, ct));
        return cmd;
    }

    private static Command Link(GlobalOptions global, Func<JobArgs, CancellationToken, Task<int>> action, JobAction what, string verb, string description)
    {
        var job = new Argument<string>("JOB") { Description = "The job name" };
        var vm = new Argument<string>("VM") { Description = "The VM name (vms.vm): all its images" };
        var cmd = new Command(verb, description) { job, vm };
        cmd.SetAction((pr, ct) => action(new JobArgs { ConfigPath = pr.GetValue(global.Config), Action = what, Name = pr.GetValue(job), Vm = pr.GetValue(vm) }, ct));
        return cmd;
    }

    private static Command Edit(GlobalOptions global, Func<JobArgs, CancellationToken, Task<int>> action, JobAction what, string verb, string description)
    {
        var name = NameArg();
        var path = new Option<string?>("--path") { Description = "Backup root: files go to PATH/NAME/VM/IMAGE/CHAIN/POINT (required for add)", HelpName = "P" };
        var maxInc = new Option<int?>("--max-inc") { Description = $"Points after a full before a new chain (0 = always full; add default {JobAdminService.DefaultMaxInc})", HelpName = "N" };
        var retention = new Option<int?>("--retention") { Description = $"Chains kept per image by 'retention' (at least 1; add default {JobAdminService.DefaultRetention})", HelpName = "N" };
        var mode = new Option<string?>("--mode") { Description = "incremental (default) or differential", HelpName = "incremental|differential" };
        var prefix = new Option<string?>("--snap-prefix") { Description = "Snapshot name prefix, 1-10 characters (add default cbk<id>)", HelpName = "X" };
        var maxSnaps = new Option<int?>("--max-snaps") { Description = $"Snapshots kept per image by 'trimsnap' (add default {JobAdminService.DefaultMaxSnaps})", HelpName = "N" };
        var mountpoint = new Option<string?>("--mountpoint") { Description = "Only run when this is a mount point holding the path (turns checkmount on; \"\" turns it off)", HelpName = "M" };
        var days = new Option<string?>("--days") { Description = "Days of the week to run, 1 = Monday … 7 = Sunday (\"all\" = every day)", HelpName = "1,2,…7" };
        var weeks = new Option<string?>("--weeks") { Description = "Weeks of the month to run, 1 = days 1-7 … 5 = days 29-31 (\"all\" = every week)", HelpName = "1,…5" };
        var parallel = new Option<int?>("--parallel") { Description = "At most N images of this job exported at once (default: Backup:Parallelism)", HelpName = "N" };
        var disabled = new Option<bool>("--disabled") { Description = "Write the job disabled (enable it later with 'job enable')" };
        var cmd = new Command(verb, description) { name, path, maxInc, retention, mode, prefix, maxSnaps, mountpoint, days, weeks, parallel, disabled };
        cmd.SetAction((pr, ct) => action(new JobArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Action = what,
            Name = pr.GetValue(name),
            Options = new JobOptions
            {
                Path = pr.GetValue(path), MaxInc = pr.GetValue(maxInc), Retention = pr.GetValue(retention), Mode = pr.GetValue(mode),
                SnapPrefix = pr.GetValue(prefix), MaxSnaps = pr.GetValue(maxSnaps), MountPoint = pr.GetValue(mountpoint),
                Days = pr.GetValue(days), Weeks = pr.GetValue(weeks), Parallel = pr.GetValue(parallel),
                Disabled = pr.GetValue(disabled) ? true : null,
            },
        }, ct));
        return cmd;
    }
}
