using CephBackup.Core.Catalog;

namespace CephBackup.Tests.Catalog;

/// <summary>MariaDB's column types rarely match the model's; the catalog's row mapper converts as Dapper did.</summary>
public class SqlConvertTests
{
    public static TheoryData<object?, Type, object?> Cases() => new()
    {
        { 5L, typeof(int), 5 },                       // INT UNSIGNED / COUNT(*) come back as long
        { 5L, typeof(int?), 5 },
        { (ulong)7, typeof(long), 7L },
        { (sbyte)1, typeof(bool), true },             // TINYINT(1)
        { 0, typeof(bool), false },
        { 3.0m, typeof(long), 3L },                   // SUM() is DECIMAL
        { DBNull.Value, typeof(int?), null },
        { null, typeof(string), null },
        { "x", typeof(string), "x" },
        { 1, typeof(PointType), PointType.Incremental },
        { "Differential", typeof(PointType), PointType.Differential },
        { "full", typeof(PointType?), PointType.Full },
        { new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), typeof(DateTime?), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Converts_database_values_to_model_types(object? value, Type target, object? expected) =>
        Assert.Equal(expected, SqlCommands.ConvertTo(value, target));

    [Fact]
    public void Args_are_read_from_an_anonymous_objects_properties_in_order() =>
        Assert.Equal([new("jobId", (object?)3), new("utc", null), new("ids", new[] { 1L, 2L })],
            SqlArgs.Of(new { jobId = 3, utc = (DateTime?)null, ids = new[] { 1L, 2L } }).Values);
}
