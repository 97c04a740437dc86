using CephBackup.Core.Storage;

namespace CephBackup.Tests.Storage;

public class DiffFileTests
{
    private static DiffFileCheck Check(byte[] bytes) => DiffFile.Check(new MemoryStream(bytes));

    private static byte[] Full => StorageTests.Diff(null, "BK-000001-000000", 1 << 20, new byte[5000]);

    [Fact]
    public void A_whole_diff_passes_with_its_header()
    {
        var c = Check(StorageTests.Diff("BK-000001-000000", "BK-000001-000001", 1 << 20, [1, 2, 3]));
        Assert.Null(c.Problem);
        Assert.Equal(new DiffHeader("BK-000001-000000", "BK-000001-000001", 1 << 20), c.Header);
    }

    [Fact]
    public void Every_cut_is_caught_even_when_the_last_byte_happens_to_be_e()
    {
        var full = Full;
        Array.Fill(full, (byte)'e', full.Length - 1 - 5000, 5000); // payload of 'e' bytes: a naive last-byte check passes every cut in it
        for (var len = 0; len < full.Length; len++)
            Assert.NotNull(Check(full[..len]).Problem);
        Assert.Null(Check(full).Problem);
    }

    [Fact]
    public void Cut_inside_the_data_names_the_interruption()
    {
        var full = Full;
        Assert.Contains("interrupted export", Check(full[..^1]).Problem);
        Assert.Contains("interrupted export", Check(full[..^100]).Problem);
        Assert.Contains("incomplete", Check(full[..20]).Problem);
    }

    [Fact]
    public void Trailing_bytes_bad_tags_and_extents_outside_the_image_are_rejected()
    {
        Assert.Contains("after the end record", Check([.. Full, 0]).Problem);
        Assert.Contains("bad banner", Check("rbd diff v2\n"u8.ToArray()).Problem);
        var wrongTag = Full;
        wrongTag[wrongTag.Length - 1 - 5000 - 17] = (byte)'q';
        Assert.Contains("unexpected record tag 0x71", Check(wrongTag).Problem);
        var outside = StorageTests.Diff(null, "BK-000001-000000", 100, new byte[200]);
        Assert.Contains("outside the image", Check(outside).Problem);
    }

    [Fact]
    public void Zero_records_have_no_data_and_a_file_on_disk_is_checked_the_same()
    {
        var ms = new MemoryStream();
        ms.Write(StorageTests.Diff(null, "BK-000001-000000", 1 << 20, [9])[..^1]);
        ms.WriteByte((byte)'z'); ms.Write(BitConverter.GetBytes(4096L)); ms.Write(BitConverter.GetBytes(4096L));
        ms.WriteByte((byte)'e');
        Assert.Null(Check(ms.ToArray()).Problem);

        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, ms.ToArray());
            Assert.Null(DiffFile.Check(path).Problem);
            File.WriteAllBytes(path, ms.ToArray()[..^1]);
            Assert.NotNull(DiffFile.Check(path).Problem);
        }
        finally { File.Delete(path); }
    }
}
