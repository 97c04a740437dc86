namespace CephBackup.Core;

/// <summary>The process exit codes of every verb. Documented in README.md; mapped in one place (the CLI host).</summary>
public enum ExitCode
{
    Ok = 0,
    /// <summary>Unexpected internal error (a bug): the stack trace goes to the log file.</summary>
    InternalError = 1,
    /// <summary>Bad command line (unknown verb, missing argument).</summary>
    Usage = 2,
    /// <summary>At least one image, chain or snapshot failed; the others were done.</summary>
    PartialFailure = 3,
    /// <summary>The work was done and recorded, but the email report could not be delivered.</summary>
    ReportNotDelivered = 4,
    /// <summary>Bad input that changed nothing: unknown VM, job, image or restore point, invalid name, target exists.</summary>
    InvalidInput = 5,
    /// <summary>Verification found a missing or corrupt backup file.</summary>
    VerificationFailed = 6,
    /// <summary>A job is already running elsewhere (MySQL named lock held).</summary>
    AlreadyRunning = 11,
    /// <summary>Configuration file or job configuration is invalid.</summary>
    ConfigError = 12,
    /// <summary>The catalog database cannot be reached or is not migrated.</summary>
    DatabaseError = 13,
    /// <summary>Ceph cannot be reached or an rbd command failed outside a per-image step.</summary>
    CephError = 14,
    /// <summary>Backup storage problem: target not mounted, not writable.</summary>
    StorageError = 15,
    /// <summary>
    /// A restore (or a deep verify) was cancelled or failed and an image it made could not be removed: the
    /// message names what is left and the command that removes it.
    /// </summary>
    CleanupIncomplete = 16,
    Cancelled = 130,
}

/// <summary>An expected, user-facing failure: printed as one line, no stack trace.</summary>
public class CephBackupException(ExitCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public ExitCode Code { get; } = code;
}
