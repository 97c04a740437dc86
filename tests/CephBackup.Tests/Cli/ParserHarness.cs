using System.CommandLine;
using CephBackup.Cli;

namespace CephBackup.Tests.Cli;

/// <summary>Parses a command line against one verb and returns the Args its action received (null on a parse error).</summary>
public static class ParserHarness
{
    public static async Task<T?> Parse<T>(Func<GlobalOptions, Func<T, CancellationToken, Task<int>>, Command> create, params string[] args)
        where T : class
    {
        T? captured = null;
        var g = new GlobalOptions();
        var root = new RootCommand { create(g, (a, _) => { captured = a; return Task.FromResult(0); }) };
        root.Options.Add(g.Config);
        var pr = root.Parse(args);
        if (pr.Errors.Count > 0) return null;
        await pr.InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() });
        return captured;
    }
}
