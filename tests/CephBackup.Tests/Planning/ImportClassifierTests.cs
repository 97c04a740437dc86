using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;

namespace CephBackup.Tests.Planning;

public class ImportClassifierTests
{
    private static Classification Php(int point, string? from, string? to) =>
        ImportClassifier.FromHeader("BK", 2, point, new DiffHeader(from, to, 1 << 30));

    [Fact]
    public void Php_files_are_a_full_then_incrementals_or_differentials_by_their_from_snapshot()
    {
        Assert.Equal(new PointShape(PointType.Full, null), Php(0, null, "BK-000002-000000").Shape);
        Assert.Equal(new PointShape(PointType.Incremental, 0), Php(1, "BK-000002-000000", "BK-000002-000001").Shape);
        Assert.Equal(new PointShape(PointType.Incremental, 4), Php(5, "BK-000002-000004", "BK-000002-000005").Shape);
        Assert.Equal(new PointShape(PointType.Differential, 0), Php(5, "BK-000002-000000", "BK-000002-000005").Shape);
    }

    [Theory]
    [InlineData(0, "BK-000002-000000", "BK-000002-000000", "must be a full")]
    [InlineData(3, null, "BK-000002-000003", "only point 000000")]
    [InlineData(3, "BK-000002-000001", "BK-000002-000003", "expected 'BK-000002-000002' or 'BK-000002-000000'")]
    [InlineData(1, "BK-000001-000000", "BK-000002-000001", "expected 'BK-000002-000000'")]
    [InlineData(3, "BK-000002-000002", "BK-000002-000004", "to snapshot 'BK-000002-000004'")]
    [InlineData(0, null, "OTHER-000002-000000", "expected 'BK-000002-000000'")]
    [InlineData(0, null, null, "'(none)'")]
    public void Php_files_whose_snapshots_do_not_match_their_place_are_rejected(int point, string? from, string? to, string why)
    {
        var c = Php(point, from, to);
        Assert.Null(c.Shape);
        Assert.Contains(why, c.Problem);
    }

    private static PointSidecar Meta(int point, string type, int? basePoint, string sha = Sha) => new()
    {
        Job = "J", Vm = "vm", Image = "img", Chain = 1, Point = point, Type = type, BasePoint = basePoint,
        Snapshot = $"BK-000001-{point:D6}", Sha256 = sha,
    };

    private const string Sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static Classification Side(PointSidecar? m, string? sha = Sha, int point = 2) =>
        ImportClassifier.FromSidecar(m, sha, "J", "vm", "img", 1, point);

    [Fact]
    public void Sidecars_give_type_and_base_when_they_describe_this_point()
    {
        Assert.Equal(new PointShape(PointType.Full, null), Side(Meta(0, "full", null), point: 0).Shape);
        Assert.Equal(new PointShape(PointType.Incremental, 1), Side(Meta(2, "incremental", 1)).Shape);
        Assert.Equal(new PointShape(PointType.Differential, 0), Side(Meta(2, "differential", 0)).Shape);
    }

    [Fact]
    public void Sidecars_that_are_missing_disagree_or_describe_another_point_are_rejected()
    {
        Assert.Contains(".json missing", Side(null).Problem);
        Assert.Contains(".sha256 missing", Side(Meta(2, "incremental", 1), sha: null).Problem);
        Assert.Contains("disagree", Side(Meta(2, "incremental", 1, sha: new string('b', 64))).Problem);
        Assert.Contains("not this file", Side(Meta(3, "incremental", 2)).Problem);
        Assert.Contains("not this file", Side(Meta(2, "incremental", 1) with { Image = "other" }).Problem);
        Assert.Contains("impossible", Side(Meta(2, "full", null)).Problem);
        Assert.Contains("impossible", Side(Meta(2, "incremental", 2)).Problem);
        Assert.Contains("impossible", Side(Meta(2, "incremental", null)).Problem);
        Assert.Contains("impossible", Side(Meta(0, "incremental", 0), point: 0).Problem);
        Assert.Contains("unknown point type", Side(Meta(2, "weird", 1)).Problem);
    }

    [Fact]
    public void A_diff_is_importable_only_on_top_of_an_available_base()
    {
        var available = new HashSet<int> { 0, 1 };
        Assert.Null(ImportClassifier.MissingBase(new PointShape(PointType.Full, null), new HashSet<int>()));
        Assert.Null(ImportClassifier.MissingBase(new PointShape(PointType.Incremental, 1), available));
        Assert.Null(ImportClassifier.MissingBase(new PointShape(PointType.Differential, 0), available));
        Assert.Contains("000002", ImportClassifier.MissingBase(new PointShape(PointType.Incremental, 2), available));
    }

    [Theory]
    [InlineData("000000", true)]
    [InlineData("123456", true)]
    [InlineData("000001.partial", false)]
    [InlineData("000001.sha256", false)]
    [InlineData("000001.json", false)]
    [InlineData("00001", false)]
    [InlineData("0000001", false)]
    [InlineData("00000a", false)]
    [InlineData("٠٠٠٠٠٠", false)]
    public void Only_six_ascii_digits_name_a_point(string name, bool isPoint) =>
        Assert.Equal(isPoint, ImportClassifier.IsPointFileName(name));
}
