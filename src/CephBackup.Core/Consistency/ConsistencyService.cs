using System.Security.Cryptography;
using System.Text;
using CephBackup.Core.Ceph;
using Serilog;

namespace CephBackup.Core.Consistency;

/// <summary>The VM's libvirt definition as captured during one run.</summary>
public sealed record VmDefinition(string Domain, string Xml)
{
    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Xml)));
}

/// <summary>What one VM's window produced, handed to each of its points.</summary>
/// <param name="Consistency"><see cref="PointConsistency"/>.</param>
/// <param name="Definition">Null when libvirt is off or dumpxml failed (then a warning says so).</param>
public sealed record VmCapture(string Consistency, VmDefinition? Definition);

/// <summary>
/// Hooks and libvirt around each VM's snapshots (issue #14). One instance per process; holds no state
/// between VMs. With nothing configured it starts no process and every point is crash-consistent.
/// </summary>
public sealed class ConsistencyService(ConsistencyOptions options, IProcessRunner runner, ILogger log)
{
    private readonly HookRunner _hooks = new(options.Hooks, runner);
    private readonly VirshClient _virsh = new(options.Libvirt, options.Hooks.Timeout, runner);

    public static ConsistencyService Off { get; } = new(ConsistencyOptions.Off, new ProcessRunner(), Serilog.Core.Logger.None);

    public ConsistencyOptions Options => options;

    /// <summary>Runs the pre-hook and the freeze; dispose the result right after the last snapshot.</summary>
    public Task<ConsistencyWindow> EnterAsync(VmScope scope, CancellationToken ct) =>
        ConsistencyWindow.EnterAsync(_hooks, options.Hooks.OnFailure, options.Libvirt is { Enabled: true, Freeze: true } ? _virsh : null,
            scope, log, ct);

    /// <summary><c>virsh dumpxml --inactive</c>, outside the frozen window. Null (and a warning) when it cannot be had.</summary>
    public async Task<VmDefinition?> CaptureDefinitionAsync(VmScope scope, ICollection<string> warnings, CancellationToken ct)
    {
        if (!options.Libvirt.Enabled) return null;
        var r = await _virsh.DumpXmlAsync(scope.Domain, ct);
        string? problem = r.Ok ? DomainXml.Problem(r.Output) : r.Error;
        if (problem is null) return new VmDefinition(scope.Domain, r.Output);
        var line = $"{scope.Vm}: VM definition not saved with this run's points: {problem}";
        warnings.Add(line);
        log.Warning("{Warning}", line);
        return null;
    }
}
