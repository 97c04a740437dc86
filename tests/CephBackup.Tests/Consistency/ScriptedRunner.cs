using CephBackup.Core.Ceph;

namespace CephBackup.Tests.Consistency;

/// <summary>A process runner that records every call and answers from a script keyed by a word of the argv.</summary>
internal sealed class ScriptedRunner : IProcessRunner
{
    public List<(ProcessSpec Spec, CancellationToken Ct)> Calls { get; } = [];
    private readonly Dictionary<string, Func<ProcessSpec, CancellationToken, Task<ProcessResult>>> _answers = new();

    public ScriptedRunner On(string word, ProcessResult result) => On(word, (_, _) => Task.FromResult(result));

    public ScriptedRunner On(string word, Func<ProcessSpec, CancellationToken, Task<ProcessResult>> answer)
    {
        _answers[word] = answer;
        return this;
    }

    public static ProcessResult Ok(string stdout = "") => new(0, stdout, "", TimeSpan.Zero, false);
    public static ProcessResult Exit(int code, string stderr) => new(code, "", stderr, TimeSpan.Zero, false);
    public static ProcessResult TimedOut() => new(ProcessRunner.TimedOutExitCode, "", "", TimeSpan.Zero, true);

    /// <summary>What ran, as "program word" pairs: the hook path or the virsh sub-command.</summary>
    public IEnumerable<string> Steps => Calls.Select(c => c.Spec.Arguments.Count > 2 && c.Spec.Arguments[0] == "-c" ? c.Spec.Arguments[2] : c.Spec.FileName);

    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct)
    {
        Calls.Add((spec, ct));
        foreach (var (word, answer) in _answers)
            if (spec.FileName == word || spec.Arguments.Contains(word)) return answer(spec, ct);
        return Task.FromResult(Ok(spec.Arguments.Contains("domfsfreeze") ? "Froze 2 filesystem(s)\n" : ""));
    }
}
