namespace CephBackup.Core.Ceph;

public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    /// <summary>Whole-run deadline; the process tree is killed when it passes. Null: only cancellation stops it.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>Where stdout goes; null = captured into <see cref="ProcessResult.Stdout"/> (small outputs only).</summary>
    public Stream? StdoutSink { get; init; }
    /// <summary>What is fed to stdin; null = nothing (stdin closed).</summary>
    public Stream? StdinSource { get; init; }
}

/// <param name="TimedOut">The deadline passed and the process tree was killed.</param>
public sealed record ProcessResult(int ExitCode, string Stdout, string StderrTail, TimeSpan Elapsed, bool TimedOut);

/// <summary>Runs one external program: argv list, concurrent stderr tail, tree kill on cancel or timeout.</summary>
public interface IProcessRunner
{
    /// <summary>Never throws for a non-zero exit; throws OperationCanceledException when <paramref name="ct"/> fires.</summary>
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct);
}
