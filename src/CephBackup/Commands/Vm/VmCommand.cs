using System.CommandLine;
using CephBackup.Cli;

namespace CephBackup.Commands.Vm;

/// <summary><c>vm list|add|rm</c>: the vms table (one row per disk image) without SQL.</summary>
public static class VmCommand
{
    public static Command Create(GlobalOptions global, Func<VmArgs, CancellationToken, Task<int>> action)
    {
        var root = new Command("vm", "Manage VMs and their disk images (the vms table; 'job attach' links them to jobs)");

        var json = new Option<bool>("--json") { Description = "Print JSON (docs/JSON.md)" };
        var listVm = new Argument<string?>("VM") { Description = "Only this VM", Arity = ArgumentArity.ZeroOrOne };
        var list = new Command("list", "List VMs, their images, jobs and restore points") { listVm, json };
        list.SetAction((pr, ct) => action(new VmArgs { ConfigPath = pr.GetValue(global.Config), Action = VmAction.List, Vm = pr.GetValue(listVm), Json = pr.GetValue(json) }, ct));
        root.Subcommands.Add(list);

        var addVm = VmArg();
        var addImages = new Argument<string[]>("IMAGE") { Description = "RBD image (in Ceph:Pool) or pool/image", Arity = ArgumentArity.OneOrMore };
        var noCheck = new Option<bool>("--no-check") { Description = "Do not check that each image exists on Ceph" };
        var add = new Command("add", "Add disk images of a VM (each is checked to exist on Ceph)") { addVm, addImages, noCheck };
        add.SetAction((pr, ct) => action(new VmArgs
        {
            ConfigPath = pr.GetValue(global.Config), Action = VmAction.Add, Vm = pr.GetValue(addVm), Images = pr.GetValue(addImages) ?? [], NoCheck = pr.GetValue(noCheck),
        }, ct));
        root.Subcommands.Add(add);

        var rmVm = VmArg();
        var rmImages = new Argument<string[]>("IMAGE") { Description = "Only these images (default: every image of the VM)", Arity = ArgumentArity.ZeroOrMore };
        var force = new Option<bool>("--force") { Description = "Remove even if there are restore points (files and catalog points are always kept)" };
        var rm = new Command("rm", "Remove a VM (or some of its images) and its links to jobs; never deletes backup files or catalog points") { rmVm, rmImages, force };
        rm.SetAction((pr, ct) => action(new VmArgs
        {
            ConfigPath = pr.GetValue(global.Config), Action = VmAction.Remove, Vm = pr.GetValue(rmVm), Images = pr.GetValue(rmImages) ?? [], Force = pr.GetValue(force),
        }, ct));
        root.Subcommands.Add(rm);
        return root;
    }

    private static Argument<string> VmArg() => new("VM") { Description = "The VM name (vms.vm)" };
}
