using Serilog;

namespace CephBackup.Core.Consistency;

/// <summary>
/// The frozen window of one VM: pre-hook → freeze on entry, thaw → post-hook on dispose. Take the VM's
/// snapshots inside it and nothing else (planning before, exports after), so the guest is stalled as
/// briefly as possible. Dispose ALWAYS undoes what entry did (after a failed snapshot, on cancellation),
/// with its own deadline and <see cref="CancellationToken.None"/>: a cancelled run must not leave a guest
/// frozen or an application paused.
/// </summary>
public sealed class ConsistencyWindow : IAsyncDisposable
{
    private readonly HookRunner _hooks;
    private readonly VirshClient? _virsh;
    private readonly VmScope _scope;
    private readonly ILogger _log;
    private readonly List<string> _warnings = [];
    private bool _entered, _freezeAttempted, _frozen, _closed;

    private ConsistencyWindow(HookRunner hooks, VirshClient? virsh, VmScope scope, ILogger log) =>
        (_hooks, _virsh, _scope, _log) = (hooks, virsh, scope, log);

    /// <summary><c>crash</c> or <c>fs-frozen</c>: final once the window is disposed (a failed thaw does not undo a freeze).</summary>
    public string Consistency => _frozen ? PointConsistency.FsFrozen : PointConsistency.Crash;

    /// <summary>For the job report: every failed or timed-out step, one line each.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Set when the pre-hook failed and <c>Hooks:OnFailure</c> is skip-vm: take no snapshot.</summary>
    public string? SkipReason { get; private set; }

    /// <param name="virsh">Null when libvirt freezing is off.</param>
    /// <exception cref="OperationCanceledException">After the window has been closed again (post-hook run).</exception>
    internal static async Task<ConsistencyWindow> EnterAsync(HookRunner hooks, HookFailurePolicy onFailure, VirshClient? virsh,
        VmScope scope, ILogger log, CancellationToken ct)
    {
        var w = new ConsistencyWindow(hooks, virsh, scope, log);
        try
        {
            w._entered = true;
            if (await hooks.RunAsync(HookPhase.PreSnapshot, scope, ct) is { Ok: false } pre)
            {
                if (onFailure == HookFailurePolicy.SkipVm)
                {
                    w.SkipReason = $"{pre.Error} (Hooks:OnFailure = skip-vm: no snapshot taken)";
                    return w;
                }
                w.Warn($"{pre.Error}: snapshots taken anyway (crash-consistent)");
            }
            if (virsh is not null) await w.FreezeAsync(virsh, ct);
            return w;
        }
        catch (OperationCanceledException)
        {
            await w.DisposeAsync();
            throw;
        }
    }

    private async Task FreezeAsync(VirshClient virsh, CancellationToken ct)
    {
        _freezeAttempted = true;
        var r = await virsh.FreezeAsync(_scope.Domain, ct);
        if (!r.Ok)
        {
            Warn($"guest filesystems not frozen, crash-consistent backup: {r.Error}");
            return;
        }
        if (VirshClient.FilesystemCount(r.Output) is 0 or null)
        {
            Warn($"guest filesystems not frozen, crash-consistent backup: virsh domfsfreeze {_scope.Domain} said '{r.Output.Trim()}'");
            return;
        }
        _frozen = true;
        _log.Information("{Vm}: guest filesystems frozen ({Output})", _scope.Vm, r.Output.Trim());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_entered || _closed) return;
        _closed = true;
        // Thaw even when the freeze "failed": a timed-out domfsfreeze may still have frozen the guest.
        if (_virsh is not null && _freezeAttempted)
        {
            var thaw = await _virsh.ThawAsync(_scope.Domain, CancellationToken.None);
            if (!thaw.Ok && _frozen)
                thaw = await _virsh.ThawAsync(_scope.Domain, CancellationToken.None); // one retry: a frozen guest is an outage
            if (!thaw.Ok && (_frozen || thaw.TimedOut))
                Warn($"THAW FAILED, the guest may still be frozen (run 'virsh domfsthaw {_scope.Domain}'): {thaw.Error}");
            else if (!thaw.Ok)
                _log.Debug("{Vm}: thaw after a failed freeze: {Error}", _scope.Vm, thaw.Error);
        }
        if (await _hooks.RunAsync(HookPhase.PostSnapshot, _scope, CancellationToken.None) is { Ok: false } post)
            Warn(post.Error!);
    }

    private void Warn(string message)
    {
        var line = $"{_scope.Vm}: {message}";
        _warnings.Add(line);
        _log.Warning("{Warning}", line);
    }
}
