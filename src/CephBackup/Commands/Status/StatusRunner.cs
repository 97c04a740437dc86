using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Planning;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Status;

/// <summary>
/// <c>cephbackup status</c> follows the monitoring-plugin convention: the first line is the summary and the
/// exit code is the state, so every failure, including a bad config or an unreachable catalog, is UNKNOWN (3).
/// </summary>
public static class StatusRunner
{
    public static async Task<int> RunAsync(StatusArgs a, Func<AppServices> app, TextWriter stdout, CancellationToken ct)
    {
        AppServices? services = null;
        try
        {
            services = app();
            await services.RequireMigratedAsync(ct);
            if (a is { WarnHours: { } w, CritHours: { } c } && c < w)
                throw new Core.CephBackupException(Core.ExitCode.Usage, $"--crit-hours {c} is below --warn-hours {w}");
            var report = await services.StatusService().RunAsync(
                new StatusRequest { Job = a.Job, Limits = new OverdueThresholds(a.WarnHours, a.CritHours) }, ct);
            await stdout.WriteAsync(a.Json ? StatusFormatter.Json(report) : StatusFormatter.Text(report, services.Time.LocalTimeZone));
            return (int)report.State;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var (code, message) = CliHost.Map(e);
            services?.Log.Error("status: UNKNOWN ({Code}): {Message}", (int)code, message);
            if (code == Core.ExitCode.InternalError) services?.Log.Fatal(e, "Unexpected error");
            await stdout.WriteAsync(a.Json
                ? OutputJson.Serialize(new { state = "UNKNOWN", exitCode = (int)HealthState.Unknown, summary = $"CEPHBACKUP UNKNOWN - {message}", error = new { code = (int)code, message } })
                : $"CEPHBACKUP UNKNOWN - {message}\n");
            return (int)HealthState.Unknown;
        }
    }
}
