using CephBackup.Core.Catalog;
using MySqlConnector;

namespace CephBackup.Tests.Catalog;

public sealed class CatalogRulesTests
{
    [Fact]
    public void Schedule_values_are_set_when_non_null_and_non_zero()
    {
        var flags = CatalogRules.ToScheduleFlags([1, 0, null, 2, -1]);
        Assert.Equal([true, false, false, true, true], Enumerable.Range(1, 5).Select(flags.IsSet));
        Assert.False(flags.IsSet(0));
        Assert.False(flags.IsSet(6));
    }

    [Fact]
    public void Job_lock_names_fit_the_mysql_limit_for_every_id()
    {
        Assert.StartsWith("cephbackup.job.7.", CatalogRules.JobLockName("cephbackup", 7));
        Assert.NotEqual(CatalogRules.JobLockName("a", 7), CatalogRules.JobLockName("b", 7));
        Assert.True(CatalogRules.JobLockName(new string('d', 64), int.MinValue).Length <= 64);
    }

    [Theory]
    [InlineData(null, 3, null)]
    [InlineData("abc", 3, "abc")]
    [InlineData("abcd", 3, "abc")]
    [InlineData("ab\U0001F600", 3, "ab")] // the emoji is a surrogate pair straddling the cut
    [InlineData("a\U0001F600b", 3, "a\U0001F600")]
    public void Fit_cuts_to_the_column_width_without_splitting_a_surrogate_pair(string? value, int max, string? expected)
    {
        Assert.Equal(expected, CatalogRules.Fit(value, max));
    }

    [Fact]
    public void Log_args_are_cut_to_the_php_column_widths()
    {
        var args = CatalogRules.LogArgs(new BackupLogEntry
        {
            Job = new string('j', 50), Vm = new string('v', 130), Type = "differential", Result = new string('r', 25),
            Path = new string('p', 300), Error = new string('e', 5000),
        }).Values.ToDictionary(kv => kv.Key, kv => kv.Value as string);
        Assert.Equal(45, args["Job"]!.Length);
        Assert.Equal(128, args["Vm"]!.Length);
        Assert.Equal("differ", args["Type"]);
        Assert.Equal(20, args["Result"]!.Length);
        Assert.Equal(255, args["Path"]!.Length);
        Assert.Equal(5000, args["Error"]!.Length);
    }

    [Theory]
    [InlineData("Server=db;Database=cb")]
    [InlineData("Server=db;Database=cb;DateTimeKind=Local;ConvertZeroDateTime=false")]
    public void Catalog_connections_always_read_utc_and_tolerate_zero_dates(string cs)
    {
        var b = new MySqlConnectionStringBuilder(CatalogConnection.Normalize(cs));
        Assert.Equal(MySqlDateTimeKind.Utc, b.DateTimeKind);
        Assert.True(b.ConvertZeroDateTime);
        Assert.Equal("cb", b.Database);
        Assert.True(b.Pooling);

        var dedicated = new MySqlConnectionStringBuilder(CatalogConnection.Dedicated(cs));
        Assert.False(dedicated.Pooling);
        Assert.Equal(MySqlDateTimeKind.Utc, dedicated.DateTimeKind);
    }

    [Theory]
    [InlineData("ok", true)]
    [InlineData("unverified", true)]
    [InlineData("deleting", true)]
    [InlineData("OK", false)]
    [InlineData("", false)]
    public void Only_the_documented_point_statuses_are_accepted(string status, bool known)
    {
        Assert.Equal(known, CatalogRules.IsKnownStatus(status));
    }
}
