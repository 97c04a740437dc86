using CephBackup.Core;

namespace CephBackup.Cli;

/// <summary>
/// The one text for each exit code: the root --help, each verb's --help and the README table
/// (a test keeps the README, this and the <see cref="ExitCode"/> enum in step).
/// </summary>
public static class ExitCodes
{
    public static IReadOnlyDictionary<ExitCode, string> Text { get; } = new Dictionary<ExitCode, string>
    {
        [ExitCode.Ok] = "ok",
        [ExitCode.InternalError] = "internal error (a bug; stack trace in the log file)",
        [ExitCode.Usage] = "usage (bad command line)",
        [ExitCode.PartialFailure] = "some image/chain/snapshot failed, the others were done",
        [ExitCode.ReportNotDelivered] = "done and recorded, but the report mail was not delivered",
        [ExitCode.InvalidInput] = "invalid input, nothing changed (unknown job/VM/image/point/pool, bad name, target exists)",
        [ExitCode.VerificationFailed] = "verification failed (a backup file is missing, has another size or sha256, or is outside its job folder)",
        [ExitCode.AlreadyRunning] = "already running elsewhere",
        [ExitCode.ConfigError] = "configuration error",
        [ExitCode.DatabaseError] = "database error",
        [ExitCode.CephError] = "Ceph error",
        [ExitCode.StorageError] = "backup storage error",
        [ExitCode.CleanupIncomplete] = "cancelled or failed, and an image it made could not be removed (the message says what is left and how to remove it)",
        [ExitCode.Cancelled] = "cancelled (SIGINT/SIGTERM), cleanup done",
    };

    /// <summary>Every verb can return these.</summary>
    private static readonly ExitCode[] Common = [ExitCode.Ok, ExitCode.InternalError, ExitCode.Usage, ExitCode.ConfigError];

    /// <summary>"Exit codes: 0 ok, ..." for a verb's --help: the common codes, <paramref name="codes"/>, and 130.</summary>
    public static string Help(params ExitCode[] codes) =>
        "Exit codes: " + string.Join(", ", Common.Concat(codes).Append(ExitCode.Cancelled).Distinct().OrderBy(c => (int)c)
            .Select(c => $"{(int)c} {Text[c]}")) + ".";

    /// <summary>All codes, for the root --help.</summary>
    public static string All => "Exit codes: " + string.Join(", ", Enum.GetValues<ExitCode>().Select(c => $"{(int)c} {Text[c]}")) + ".";
}
