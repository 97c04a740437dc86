namespace CephBackup.Core.Consistency;

/// <summary>What a failing or hanging pre-snapshot hook does to the VM's backup.</summary>
public enum HookFailurePolicy
{
    /// <summary>Snapshot anyway (crash-consistent) and put a warning in the report.</summary>
    Continue,
    /// <summary>No snapshot: every image of the VM fails this run.</summary>
    SkipVm,
}

/// <summary><c>Hooks:*</c>: argv arrays run around each VM's snapshots (never through a shell).</summary>
public sealed record HookOptions
{
    public IReadOnlyList<string> PreSnapshot { get; init; } = [];
    public IReadOnlyList<string> PostSnapshot { get; init; } = [];
    /// <summary>Per hook and per virsh call; on expiry the whole process tree is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public HookFailurePolicy OnFailure { get; init; } = HookFailurePolicy.Continue;
}

/// <summary><c>Libvirt:*</c>: guest filesystem freeze and the saved domain definition, through <c>virsh</c>.</summary>
public sealed record LibvirtOptions
{
    public bool Enabled { get; init; }
    public string Uri { get; init; } = "qemu:///system";
    public string VirshPath { get; init; } = "virsh";
    /// <summary>domfsfreeze/domfsthaw around the snapshots; false = only the definition is saved.</summary>
    public bool Freeze { get; init; } = true;
}

public sealed record ConsistencyOptions
{
    public HookOptions Hooks { get; init; } = new();
    public LibvirtOptions Libvirt { get; init; } = new();

    public static ConsistencyOptions Off { get; } = new();

    /// <summary>True when some process runs around the snapshots (otherwise the window is free).</summary>
    public bool AnythingToRun => Hooks.PreSnapshot.Count > 0 || Hooks.PostSnapshot.Count > 0 || (Libvirt.Enabled && Libvirt.Freeze);
}

/// <summary>Values of <c>cephbackup_points.consistency</c>.</summary>
public static class PointConsistency
{
    /// <summary>Snapshots taken while the guest ran normally: like pulling the power plug.</summary>
    public const string Crash = "crash";
    /// <summary>The guest agent froze the guest's filesystems for the snapshots (virsh domfsfreeze reported ≥ 1).</summary>
    public const string FsFrozen = "fs-frozen";
}
