namespace CephBackup.Core.Catalog;

/// <summary>
/// The catalog database failed (unreachable, connection lost, statement refused). The only database error
/// type outside Catalog/: callers never see the driver's exceptions. Messages carry no connection string.
/// </summary>
public sealed class CatalogException(string message, Exception? inner = null, bool outcomeUnknown = false)
    : CephBackupException(ExitCode.DatabaseError, message, inner)
{
    /// <summary>
    /// The connection broke while a COMMIT was in flight: the write may or may not have been stored.
    /// Re-read before undoing anything that the write would have made permanent.
    /// </summary>
    public bool OutcomeUnknown { get; } = outcomeUnknown;
}
