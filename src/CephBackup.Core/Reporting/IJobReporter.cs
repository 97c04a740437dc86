namespace CephBackup.Core.Reporting;

/// <summary>
/// Receives each job's report as soon as the job ends (mail today, metrics next), so a later job that
/// crashes the run cannot swallow an earlier job's report. Services hand over data; reporters render it.
/// </summary>
public interface IJobReporter
{
    /// <exception cref="CephBackupException"><see cref="ExitCode.ReportNotDelivered"/> when the report could not be delivered.</exception>
    Task ReportAsync(JobReport report, CancellationToken ct);
}

/// <summary>The PHP tool's report mail, one per job that was due.</summary>
public sealed class MailReporter(IMailSender mail, TimeZoneInfo zone) : IJobReporter
{
    public Task ReportAsync(JobReport report, CancellationToken ct) =>
        report.Result == JobResult.Skipped ? Task.CompletedTask : mail.SendAsync(ReportFormatter.ToMail(report, zone), ct);
}
