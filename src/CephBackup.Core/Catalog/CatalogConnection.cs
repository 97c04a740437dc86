using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>Connection-string rules every catalog component applies, whatever the user wrote.</summary>
internal static class CatalogConnection
{
    /// <summary>For pooled catalog access.</summary>
    public static string Normalize(string connectionString)
    {
        var b = new MySqlConnectionStringBuilder(connectionString)
        {
            // The catalog stores UTC; without this, DATETIME values come back as Kind=Unspecified.
            DateTimeKind = MySqlDateTimeKind.Utc,
            // Databases that went through the PHP tool may hold 0000-00-00 dates, which otherwise throw on read.
            ConvertZeroDateTime = true,
        };
        return b.ConnectionString;
    }

    /// <summary>
    /// For connections that carry session state (named locks, sql_mode): a pooled connection is only reset
    /// when reused, so a lock would outlive Close() on a pooled one.
    /// </summary>
    public static string Dedicated(string connectionString) =>
        new MySqlConnectionStringBuilder(Normalize(connectionString)) { Pooling = false }.ConnectionString;
}
