using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Verify;

public static class VerifyRunner
{
    public static async Task<int> RunAsync(VerifyArgs a, AppServices app, TextWriter stdout, TerminalProgress? progress, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var req = new VerifyRequest { Job = a.Job, Vm = a.Vm, Image = a.Image, Since = a.Since, Deep = a.Deep };
        VerifyOutcome o;
        try
        {
            o = await app.Verify().RunAsync(req, progress, ct);
        }
        finally
        {
            progress?.Finish();
        }
        if (a.Json) await stdout.WriteAsync(MaintenanceJson.Verify(o, req));
        else await WriteTextAsync(o, a.Deep, stdout);
        await app.Metrics().WriteAsync(ct);
        return (int)o.ExitCode;
    }

    private static async Task WriteTextAsync(VerifyOutcome o, bool deep, TextWriter stdout)
    {
        foreach (var f in o.Failures) await stdout.WriteLineAsync("FAIL " + f);
        foreach (var n in o.Notes) await stdout.WriteLineAsync("note: " + n);
        var deepPart = deep ? $"; deep: {o.DeepRestored} restored, {o.DeepCompared} compared with the source snapshot" : "";
        await stdout.WriteLineAsync($"verify: {o.Checked} checked, {o.Ok} ok, {o.Failed} failed, {o.Skipped} skipped{deepPart}");
    }
}
