using CephBackup.Core.Nbd;
using Xunit.Abstractions;

namespace CephBackup.Tests.Nbd;

public class ExtentIndexTests(ITestOutputHelper output)
{
    private static DiffRecord W(long offset, long length, long data) => new(offset, length, false, data);
    private static DiffRecord Z(long offset, long length) => new(offset, length, true, -1);
    private static Extent D(long offset, long length, int file, long stream) => new(offset, length, ExtentKind.Data, file, stream);
    private static Extent H(long offset, long length) => Extent.Hole(offset, length);
    private static Extent Zr(long offset, long length) => new(offset, length, ExtentKind.Zero, -1, -1);

    private static ExtentIndex Build(long size, params DiffRecord[][] files)
    {
        var b = new ExtentIndexBuilder();
        for (var i = 0; i < files.Length; i++) b.Apply(i, size, files[i]);
        return b.Build();
    }

    [Fact]
    public void A_full_alone_is_its_records_with_holes_between()
    {
        var index = Build(100, [W(10, 20, 1000), W(50, 10, 2000)]);
        Assert.Equal([H(0, 10), D(10, 20, 0, 1000), H(30, 20), D(50, 10, 0, 2000), H(60, 40)], index.Extents);
    }

    [Fact]
    public void The_newest_file_wins_and_older_extents_keep_their_stream_offsets_around_it()
    {
        var index = Build(100, [W(0, 100, 1000)], [W(40, 10, 500)], [Z(45, 20)]);
        Assert.Equal([D(0, 40, 0, 1000), D(40, 5, 1, 500), Zr(45, 20), D(65, 35, 0, 1065)], index.Extents);
    }

    [Fact]
    public void A_newer_extent_spanning_several_older_ones_replaces_them_all()
    {
        var index = Build(100, [W(0, 10, 0), W(20, 10, 100), W(40, 10, 200)], [W(5, 40, 900)]);
        Assert.Equal([D(0, 5, 0, 0), D(5, 40, 1, 900), D(45, 5, 0, 205), H(50, 50)], index.Extents);
    }

    [Fact]
    public void Overlapping_records_in_one_file_apply_in_stream_order_later_wins()
    {
        var index = Build(100, [W(0, 50, 0), W(10, 10, 100), Z(15, 10)]);
        Assert.Equal([D(0, 10, 0, 0), D(10, 5, 0, 100), Zr(15, 10), D(25, 25, 0, 25), H(50, 50)], index.Extents);
    }

    [Fact]
    public void Adjacent_extents_of_one_file_with_contiguous_data_coalesce_and_holes_merge()
    {
        // Two records whose data lie back to back in the stream (as after a split) are one extent again.
        var index = Build(100, [W(0, 10, 0), W(10, 10, 10)], [W(50, 10, 0)], [Z(50, 10)]);
        Assert.Equal([D(0, 20, 0, 0), H(20, 30), Zr(50, 10), H(60, 40)], index.Extents);
    }

    [Fact]
    public void A_shrink_drops_what_lies_beyond_and_a_later_grow_exposes_a_hole_not_old_data()
    {
        var b = new ExtentIndexBuilder();
        b.Apply(0, 100, [W(0, 100, 0)]);
        b.Apply(1, 60, []);
        b.Apply(2, 120, [W(110, 10, 7)]);
        Assert.Equal([D(0, 60, 0, 0), H(60, 50), D(110, 10, 2, 7)], b.Build().Extents);
    }

    [Fact]
    public void A_record_outside_the_image_is_refused()
    {
        var b = new ExtentIndexBuilder();
        Assert.Throws<InvalidDataException>(() => b.Apply(0, 100, [W(95, 10, 0)]));
    }

    [Fact]
    public void Find_and_range_cut_extents_to_the_asked_range()
    {
        var index = Build(100, [W(10, 20, 1000)]);
        Assert.Equal(0, index.Find(0));
        Assert.Equal(1, index.Find(10));
        Assert.Equal(1, index.Find(29));
        Assert.Equal(2, index.Find(99));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Find(100));
        Assert.Equal([H(5, 5), D(10, 20, 0, 1000), H(30, 5)], index.Range(5, 30));
        Assert.Equal([D(15, 5, 0, 1005)], index.Range(15, 5));
    }

    [Fact]
    public void Index_of_a_16_GiB_image_with_10_diffs_stays_small()
    {
        // The shape a busy VM gives: a full written as 4 MiB records over the whole disk, then ten diffs of
        // 20,000 scattered 64 KiB writes each (~1.2 GiB changed per diff).
        const long size = 16L << 30;
        var b = new ExtentIndexBuilder();
        var full = new List<DiffRecord>();
        for (long off = 0, stream = 0; off < size; off += 4 << 20, stream += (4 << 20) + 17) full.Add(W(off, 4 << 20, stream));
        var before = GC.GetAllocatedBytesForCurrentThread();
        b.Apply(0, size, full);
        var rnd = new Random(13);
        for (var d = 1; d <= 10; d++)
        {
            var offsets = Enumerable.Range(0, 20_000).Select(_ => rnd.NextInt64(0, size / 65536) * 65536).Distinct().Order().ToList();
            b.Apply(d, size, offsets.Select((o, i) => W(o, 65536, i * (65536L + 17))).ToList());
        }
        var index = b.Build();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"16 GiB, 10 diffs: {index.Count} extents, index {index.MemoryBytes / 1e6:F1} MB, allocated while building {allocated / 1e6:F0} MB");
        Assert.Equal(index.Count * 32L, index.MemoryBytes);
        Assert.True(index.Count < 500_000, $"{index.Count} extents");
        Assert.Equal(size, index.Extents.Sum(e => e.Length));
    }
}
