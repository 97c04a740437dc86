using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>Turns the driver's failures into <see cref="CatalogException"/> (the one place that knows them).</summary>
internal static class CatalogErrors
{
    /// <summary>A broken connection surfaces as MySqlException, or as an IOException from the socket underneath.</summary>
    public static bool IsDriverError(Exception e) => e is MySqlException or IOException or System.Net.Sockets.SocketException;

    public static CatalogException Wrap(Exception e, bool outcomeUnknown = false) =>
        new($"catalog database: {e.Message.ReplaceLineEndings(" ")}", e, outcomeUnknown);

    public static bool IsDuplicateKey(Exception e) => e is MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry };
}
