using MySqlConnector;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// The test services themselves, as scripts/test.sh provides them: when these fail, every other integration
/// failure is about the environment, not the code under test.
/// </summary>
public sealed class TestEnvTests
{
    [Fact]
    public async Task A_cbtest_database_can_be_created_used_and_dropped()
    {
        string name;
        await using (var db = await TestDatabase.CreateAsync())
        {
            name = db.Name;
            await db.ExecAsync("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
            await using var conn = new MySqlConnection(db.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand("SELECT COUNT(*) FROM t", conn);
            Assert.Equal(2L, await cmd.ExecuteScalarAsync());
        }

        await using var server = new MySqlConnection(TestEnv.MariaDbServer);
        await server.OpenAsync();
        await using var exists = new MySqlCommand("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = @n", server);
        exists.Parameters.AddWithValue("@n", name);
        Assert.Equal(0L, await exists.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Rbd_images_can_be_written_snapshotted_and_hashed_in_the_test_pool()
    {
        var image = "cbtest-env-" + TestEnv.Unique();
        const long size = 16L << 20;
        try
        {
            await TestRbd.CreateWithDataAsync(TestEnv.Pool, image, size, (0, 4096), (5 << 20, 65536));
            await TestRbd.RunAsync("snap", "create", "--no-progress", $"{TestEnv.Pool}/{image}@s1");
            var atSnap = await TestRbd.Sha256Async($"{TestEnv.Pool}/{image}@s1");
            Assert.Equal(atSnap, await TestRbd.Sha256Async($"{TestEnv.Pool}/{image}"));

            await TestRbd.WriteAsync(TestEnv.Pool, image, size, (1 << 20, 4096));

            Assert.NotEqual(atSnap, await TestRbd.Sha256Async($"{TestEnv.Pool}/{image}"));
            Assert.Equal(atSnap, await TestRbd.Sha256Async($"{TestEnv.Pool}/{image}@s1"));
        }
        finally
        {
            await TestRbd.PurgeAndRemoveAsync(TestEnv.Pool, image);
        }
        Assert.DoesNotContain(image, await TestRbd.RunAsync("ls", "-p", TestEnv.Pool));
    }
}
