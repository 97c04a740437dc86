using System.Globalization;
using System.Text;
using CephBackup.IntegrationTests.Infrastructure;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Catalog;

/// <summary>Reads a test database with plain ADO.NET, independently of the code under test.</summary>
internal static class DbProbe
{
    /// <summary>Every column, index and table option of the database, one line each, ordered.</summary>
    public static async Task<string> SchemaAsync(TestDatabase db)
    {
        var sb = new StringBuilder();
        sb.Append(await LinesAsync(db, """
            SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT
            FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION
            """));
        sb.Append(await LinesAsync(db, """
            SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
            FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
            """));
        sb.Append(await LinesAsync(db, """
            SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES
            WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME
            """));
        return sb.ToString();
    }

    /// <summary>The given columns of every row, ordered by <paramref name="orderBy"/>, one line per row.</summary>
    public static Task<string> RowsAsync(TestDatabase db, string table, IEnumerable<string> columns, string orderBy) =>
        LinesAsync(db, $"SELECT {string.Join(", ", columns.Select(c => $"`{c}`"))} FROM `{table}` ORDER BY {orderBy}");

    public static async Task<IReadOnlyList<string>> ColumnNamesAsync(TestDatabase db, string table)
    {
        var text = await LinesAsync(db, $"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static async Task<object?> ScalarAsync(TestDatabase db, string sql)
    {
        await using var conn = new MySqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        var v = await cmd.ExecuteScalarAsync();
        return v is DBNull ? null : v;
    }

    public static async Task<string> LinesAsync(TestDatabase db, string sql)
    {
        await using var conn = new MySqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var sb = new StringBuilder();
        while (await r.ReadAsync())
        {
            for (var i = 0; i < r.FieldCount; i++)
            {
                if (i > 0) sb.Append(" | ");
                sb.Append(r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Runs a multi-statement script (the DDL files under sql/).</summary>
    public static async Task RunScriptAsync(TestDatabase db, string path)
    {
        await using var conn = new MySqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(await File.ReadAllTextAsync(path), conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CephBackup.sln"))) return Path.Combine(dir.FullName, relative);
        }
        throw new FileNotFoundException($"repository root (CephBackup.sln) not found above {AppContext.BaseDirectory}");
    }
}
