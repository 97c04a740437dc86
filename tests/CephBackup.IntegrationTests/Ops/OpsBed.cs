using System.Text.Json.Nodes;
using CephBackup.IntegrationTests.Infrastructure;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Ops;

/// <summary>Helpers of the ops tests: the real CLI over a <see cref="BackupBed"/>, raw SQL reads that bypass the code under test.</summary>
public static class OpsBed
{
    public static CliRun Cli(BackupBed bed, string? metricsDir = null)
    {
        var cli = new CliRun(bed.Root, bed.Db.ConnectionString, bed.Smtp.Port);
        if (metricsDir is not null)
        {
            var cfg = JsonNode.Parse(File.ReadAllText(cli.ConfigPath))!.AsObject();
            cfg["Metrics"] = new JsonObject { ["TextfileDir"] = metricsDir };
            File.WriteAllText(cli.ConfigPath, cfg.ToJsonString());
        }
        return cli;
    }

    /// <summary>A Ceph image with some data, removed with the bed.</summary>
    public static async Task<string> ImageAsync(BackupBed bed)
    {
        var image = "cbt-ops-" + TestEnv.Unique();
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, image, 16L << 20, (0, 1 << 20));
        bed.Images.Add(image);
        return image;
    }

    /// <summary>Rows as <c>SELECT *</c> returns them (by ordinal, the way bkexec.php unpacks them).</summary>
    public static async Task<List<object?[]>> RowsAsync(BackupBed bed, string sql)
    {
        await using var conn = new MySqlConnection(bed.Db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await r.ReadAsync())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < r.FieldCount; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static async Task<long> CountAsync(BackupBed bed, string table) => Convert.ToInt64((await RowsAsync(bed, $"SELECT COUNT(*) FROM `{table}`"))[0][0]);

    /// <summary>A snapshot of the job/VM tables: "nothing changed" is checked against it.</summary>
    public static async Task<string> TablesAsync(BackupBed bed)
    {
        var parts = new List<string>();
        foreach (var t in new[] { "backup_jobs", "vms", "backup_vms", "backup_days", "backup_weeks", "cephbackup_points" })
            parts.Add(t + ":" + string.Join("|", (await RowsAsync(bed, $"SELECT * FROM `{t}` ORDER BY 1, 2")).Select(r => string.Join(",", r))));
        return string.Join("\n", parts);
    }
}
