using System.Text.Json;
using System.Text.Json.Serialization;
using CephBackup.Core.Storage;

namespace CephBackup.Tests.Storage;

/// <summary>
/// The sidecar is a file format that other tools and older versions read: the build-time serializer must write
/// exactly what the reflection-based one with the same options wrote, and read it back whole.
/// </summary>
public sealed class SidecarJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbside-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly JsonSerializerOptions Reflection = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static TheoryData<PointSidecar> Sidecars() => new()
    {
        new PointSidecar { Job = "j", Vm = "v", Image = "i", Type = "full", Snapshot = "BK-000001-000000", Sha256 = new string('a', 64) },
        new PointSidecar
        {
            Job = "DAILY", Vm = "web 01", Image = "rbd/disk-ä\"x", Chain = 3, Point = 7, Type = "incremental", BasePoint = 6,
            Snapshot = "BK-000003-000007", FromSnapshot = "BK-000003-000006", ImageSizeBytes = 10L << 30, SizeBytes = 12345,
            Sha256 = new string('b', 64), Format = "zstd", StreamSizeBytes = 99999, StreamSha256 = new string('c', 64),
            StartedAt = new DateTime(2026, 11, 30, 1, 2, 3, DateTimeKind.Utc), EndedAt = new DateTime(2026, 11, 30, 1, 2, 9, 500, DateTimeKind.Utc),
            Consistency = "fs-frozen", VmDefinitionSha256 = new string('d', 64), ToolVersion = "1.2.3",
        },
    };

    [Theory]
    [MemberData(nameof(Sidecars))]
    public void Commit_writes_what_the_reflection_serializer_wrote_and_reads_it_back(PointSidecar meta)
    {
        var point = Path.Combine(_dir, "000007");
        File.WriteAllText(PointFiles.Partial(point), "x");
        PointFiles.Commit(point, meta with { Format = null });
        var expected = meta with { Format = null };
        Assert.Equal(JsonSerializer.Serialize(expected, Reflection) + "\n", File.ReadAllText(PointFiles.JsonFile(point)));
        Assert.Equal(expected, PointFiles.ReadSidecar(point));
    }
}
