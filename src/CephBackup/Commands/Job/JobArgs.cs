using CephBackup.Core.Jobs;

namespace CephBackup.Commands.Job;

public enum JobAction { List, Show, Add, Set, Enable, Disable, Remove, Attach, Detach }

public sealed record JobArgs
{
    public string? ConfigPath { get; init; }
    public JobAction Action { get; init; }
    /// <summary>The job name (all actions but list).</summary>
    public string? Name { get; init; }
    /// <summary>The VM of attach/detach.</summary>
    public string? Vm { get; init; }
    /// <summary>add/set only.</summary>
    public JobOptions? Options { get; init; }
    public bool Force { get; init; }
    public bool Json { get; init; }
}
