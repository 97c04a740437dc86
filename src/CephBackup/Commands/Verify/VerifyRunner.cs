using CephBackup.Cli;
using CephBackup.Core.Jobs;

namespace CephBackup.Commands.Verify;

public static class VerifyRunner
{
    public static async Task<int> RunAsync(VerifyArgs a, AppServices app, TextWriter stdout, TerminalProgress? progress, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        VerifyOutcome o;
        try
        {
            o = await app.Verify().RunAsync(new VerifyRequest { Job = a.Job, Vm = a.Vm, Image = a.Image, Since = a.Since, Deep = a.Deep }, progress, ct);
        }
        finally
        {
            progress?.Finish();
        }
        foreach (var f in o.Failures) await stdout.WriteLineAsync("FAIL " + f);
        foreach (var n in o.Notes) await stdout.WriteLineAsync("note: " + n);
        var deep = a.Deep ? $"; deep: {o.DeepRestored} restored, {o.DeepCompared} compared with the source snapshot" : "";
        await stdout.WriteLineAsync($"verify: {o.Checked} checked, {o.Ok} ok, {o.Failed} failed, {o.Skipped} skipped{deep}");
        await app.Metrics().WriteAsync(ct);
        return (int)o.ExitCode;
    }
}
