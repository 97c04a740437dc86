using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// A MariaDB server of this test's own (scripts/mariadb-micro.sh in a temp dir on a free port), for faults
/// that stop the database: the shared server must keep running for everyone else.
/// </summary>
public sealed class PrivateMariaDb : IAsyncDisposable
{
    private readonly Dictionary<string, string> _env;
    public string ConnectionString { get; }

    private PrivateMariaDb(string dir, int port)
    {
        _env = new() { ["MARIADB_MICRO_DIR"] = dir, ["MARIADB_MICRO_PORT"] = port.ToString() };
        ConnectionString = $"Server=127.0.0.1;Port={port};Database=rbdbackup;User ID=rbdbackup;Password=rbdbackup-pw;DateTimeKind=Utc";
    }

    public static async Task<PrivateMariaDb> StartAsync()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var db = new PrivateMariaDb(Path.Combine(Path.GetTempPath(), "cbtest-maria-" + TestEnv.Unique()), port);
        await db.ScriptAsync("start");
        return db;
    }

    public Task StopAsync() => ScriptAsync("stop");
    public Task StartAgainAsync() => ScriptAsync("start");

    private async Task ScriptAsync(string verb)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoRoot(), "scripts", "mariadb-micro.sh"));
        psi.ArgumentList.Add(verb);
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"mariadb-micro.sh {verb}: {await err}");
    }

    public static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "CephBackup.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    public async ValueTask DisposeAsync() => await ScriptAsync("destroy");
}

/// <summary>Wraps any interface and runs a hook before calls of one method (to inject a fault at an exact step).</summary>
public class BeforeCall<T> : DispatchProxy where T : class
{
    private T _inner = null!;
    private string _method = "";
    private Func<Task> _hook = () => Task.CompletedTask;
    private int _calls;

    public static T Wrap(T inner, string method, Func<Task> hook)
    {
        var proxy = Create<T, BeforeCall<T>>();
        var me = (BeforeCall<T>)(object)proxy;
        (me._inner, me._method, me._hook) = (inner, method, hook);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == _method && Interlocked.Increment(ref _calls) == 1) _hook().GetAwaiter().GetResult();
        try { return targetMethod.Invoke(_inner, args); }
        catch (TargetInvocationException e) { throw e.InnerException!; }
    }
}

/// <summary>Runs the real call first, then the hook (a fault that strikes after the call took effect).</summary>
public class AfterCall<T> : DispatchProxy where T : class
{
    private T _inner = null!;
    private string _method = "";
    private Action _hook = () => { };
    private int _calls;

    public static T Wrap(T inner, string method, Action hook)
    {
        var proxy = Create<T, AfterCall<T>>();
        var me = (AfterCall<T>)(object)proxy;
        (me._inner, me._method, me._hook) = (inner, method, hook);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        object? result;
        try { result = targetMethod!.Invoke(_inner, args); }
        catch (TargetInvocationException e) { throw e.InnerException!; }
        if (targetMethod.Name != _method || Interlocked.Increment(ref _calls) != 1 || result is not Task task) return result;
        return Then(task);
    }

    // Returned as the method's own task type; the hook runs once the real call completed.
    private object Then(Task task)
    {
        var tcs = typeof(T).GetMethod(_method)!.ReturnType;
        if (tcs == typeof(Task)) return ThenAsync(task);
        var resultType = tcs.GetGenericArguments()[0];
        return typeof(AfterCall<T>).GetMethod(nameof(ThenTypedAsync), BindingFlags.NonPublic | BindingFlags.Instance)!
            .MakeGenericMethod(resultType).Invoke(this, [task])!;
    }

    private async Task ThenAsync(Task task) { await task; _hook(); }

    private async Task<TR> ThenTypedAsync<TR>(Task task) { var r = await (Task<TR>)task; _hook(); return r; }
}
