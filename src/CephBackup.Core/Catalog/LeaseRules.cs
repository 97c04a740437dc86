namespace CephBackup.Core.Catalog;

public enum LeaseMode { Exclusive, Worker }

/// <summary>What one lease row says, as read inside the taking transaction (<c>Live</c> by the database's clock).</summary>
internal sealed record LeaseRow(string OwnerToken, LeaseMode Mode, string? RunId, bool Live, bool Done, int Holders,
    string Host, int Pid, DateTime StartedAt);

/// <summary>What the caller wants: a job lease (exclusive or joining the workers' run) or an image claim.</summary>
internal sealed record LeaseWant(LeaseMode Mode, string? RunId, bool IsImageClaim);

internal enum LeaseStep
{
    /// <summary>No row yet: INSERT it.</summary>
    Insert,
    /// <summary>The row expired (its holder died or left): UPDATE it to us, if it is still the row we read.</summary>
    TakeOver,
    /// <summary>Workers of the same run share the job lease: count us in and push the expiry.</summary>
    Join,
    /// <summary>Somebody else holds it and has not let it expire.</summary>
    Held,
    /// <summary>An image already backed up in this run (by any worker): nothing to do.</summary>
    AlreadyDone,
}

/// <summary>Pure lease decisions, so that the SQL in <see cref="LeaseStore"/> only carries them out.</summary>
internal static class LeaseRules
{
    public const int DefaultLeaseSeconds = LeaseJobLockProvider.DefaultLeaseSeconds;

    public static LeaseStep Decide(LeaseRow? row, LeaseWant want)
    {
        if (row is null) return LeaseStep.Insert;
        // Checked before liveness: a done image stays done for its run whatever happened to the claim since.
        if (want.IsImageClaim && row.Done && want.RunId is not null && row.RunId == want.RunId) return LeaseStep.AlreadyDone;
        if (!row.Live) return LeaseStep.TakeOver;
        if (!want.IsImageClaim && want.Mode == LeaseMode.Worker && row.Mode == LeaseMode.Worker && row.RunId == want.RunId)
            return LeaseStep.Join;
        return LeaseStep.Held;
    }

    /// <summary>
    /// Renewing every third of the lease leaves two renewals' worth of slack for a slow or briefly unreachable
    /// database before the lease can expire under a living holder.
    /// </summary>
    public static TimeSpan RenewEvery(int leaseSeconds) => TimeSpan.FromSeconds(leaseSeconds / 3.0);

    /// <summary>
    /// Server errors that mean "another writer won the same row": on Galera a conflicting commit from another node
    /// fails certification with a deadlock (1213) or, on some versions, 1180 (error during COMMIT); on one server
    /// two INSERTs of the same key give 1062 and InnoDB's own deadlock/lock-wait detection 1213/1205. Group
    /// Replication reports its certification failure as 1180 or 3101 (plugin rollback). All are a lost race,
    /// never a failure of the run: retry, and the winner's row then says "held".
    /// </summary>
    public static bool IsLostRace(int serverError) => serverError is 1213 or 1205 or 1062 or 1180 or 3101;

    public const int RaceRetries = 4;

    /// <summary>A short, jittered back-off so that two losers do not collide again in lockstep.</summary>
    public static TimeSpan RetryDelay(int attempt, double jitter01) =>
        TimeSpan.FromMilliseconds((20 << Math.Min(attempt, 5)) * (0.5 + jitter01));

    /// <summary>The claim key of one image in one job: the image row is per job, two jobs may back up one image.</summary>
    public static string ImageKey(int jobId, string imageRef) => $"{jobId}/{imageRef}";

    public static string JobKey(int jobId) => jobId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The run that `exec --worker` processes on several hosts agree on without talking to each other: the job
    /// and its schedule day. A worker that starts late (or again, after a crash) the same day joins the same run
    /// and skips what is done; the next day is a new run.
    /// </summary>
    public static string WorkerRunId(DateOnly scheduleDay) => "day:" + scheduleDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static string ModeName(LeaseMode m) => m == LeaseMode.Worker ? "worker" : "exclusive";
    public static LeaseMode ParseMode(string s) => s == "worker" ? LeaseMode.Worker : LeaseMode.Exclusive;
}
