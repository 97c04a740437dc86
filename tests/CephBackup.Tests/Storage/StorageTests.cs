using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CephBackup.Core;
using CephBackup.Core.Storage;

namespace CephBackup.Tests.Storage;

public class StorageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbtest-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static byte[] Diff(string? from, string to, long size, byte[] payload)
    {
        var ms = new MemoryStream();
        ms.Write("rbd diff v1\n"u8);
        void Name(char tag, string n) { ms.WriteByte((byte)tag); var b = Encoding.UTF8.GetBytes(n); ms.Write(BitConverter.GetBytes((uint)b.Length)); ms.Write(b); }
        if (from is not null) Name('f', from);
        Name('t', to);
        ms.WriteByte((byte)'s'); ms.Write(BitConverter.GetBytes(size));
        ms.WriteByte((byte)'w'); ms.Write(BitConverter.GetBytes(0L)); ms.Write(BitConverter.GetBytes((long)payload.Length)); ms.Write(payload);
        ms.WriteByte((byte)'e');
        return ms.ToArray();
    }

    [Fact]
    public void Layout_is_the_php_tree_and_never_escapes_the_job_folder()
    {
        var l = BackupLayout.For("/backup", "JOB1");
        Assert.Equal("/backup/JOB1/web01/vm-1-disk-0/000002/000003", l.PointFile("web01", "vm-1-disk-0", 2, 3));
        Assert.Equal("/backup/JOB1/web01/ssd@img/000001", l.ChainDir("web01", "ssd/img", 1));
        Assert.Throws<CephBackupException>(() => l.ImageDir("..", "img"));
        Assert.Throws<CephBackupException>(() => l.ImageDir("vm", "../../etc"));
        Assert.Throws<CephBackupException>(() => BackupLayout.For("relative/path", "J"));
        Assert.Throws<CephBackupException>(() => BackupLayout.For(null, "J"));
        Assert.Throws<CephBackupException>(() => BackupLayout.For("/b", "a/../../x"));
    }

    [Fact]
    public void Diff_header_is_read_incrementally_and_garbage_is_rejected()
    {
        var d = Diff("BK-000001-000000", "BK-000001-000001", 1L << 30, new byte[10]);
        Assert.True(DiffHeader.TryParse(d, out var h));
        Assert.Equal(("BK-000001-000000", "BK-000001-000001", 1L << 30), (h!.FromSnap, h.ToSnap, h.ImageSize));
        for (var cut = 0; cut < 40; cut++) Assert.False(DiffHeader.TryParse(d.AsSpan(0, cut), out _));
        Assert.Throws<InvalidDataException>(() => DiffHeader.TryParse("rbd diff v2\n"u8, out _));
        var badTag = (byte[])d.Clone(); badTag[12] = (byte)'Q';
        Assert.Throws<InvalidDataException>(() => DiffHeader.TryParse(badTag, out _));
    }

    [Fact]
    public void Diff_header_parser_survives_random_and_truncated_input()
    {
        var rnd = new Random(7);
        var good = Diff(null, "s", 4096, new byte[64]);
        for (var i = 0; i < 20000; i++)
        {
            var buf = i % 2 == 0 ? good.AsSpan(0, rnd.Next(good.Length)).ToArray() : RandomTail(rnd, good);
            try { DiffHeader.TryParse(buf, out _); }
            catch (InvalidDataException) { }
        }
    }

    private static byte[] RandomTail(Random rnd, byte[] good)
    {
        var keep = rnd.Next(good.Length);
        var b = new byte[keep + rnd.Next(1, 40)];
        good.AsSpan(0, keep).CopyTo(b);
        rnd.NextBytes(b.AsSpan(keep));
        return b;
    }

    [Fact]
    public async Task Sink_hashes_what_it_writes_and_sees_the_header_and_end_tag()
    {
        var payload = RandomNumberGenerator.GetBytes(3 << 20);
        var diff = Diff(null, "BK-000001-000000", 8 << 20, payload);
        var path = Path.Combine(_dir, "000000.partial");
        WrittenFile w;
        await using (var sink = new HashingFileSink(path))
        {
            for (var off = 0; off < diff.Length; off += 1 << 20)
                await sink.WriteAsync(diff.AsMemory(off, Math.Min(1 << 20, diff.Length - off)));
            w = await sink.CompleteAsync();
        }
        Assert.Equal(diff.Length, w.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(diff)), w.Sha256);
        Assert.Equal(File.ReadAllBytes(path), diff);
        Assert.Equal("BK-000001-000000", w.Header!.ToSnap);
        Assert.True(w.EndsWithEndTag);
    }

    [Fact]
    public async Task Sink_refuses_to_overwrite_and_commit_renames_with_sidecars()
    {
        var point = Path.Combine(_dir, "000001");
        await using (var sink = new HashingFileSink(PointFiles.Partial(point)))
        {
            await sink.WriteAsync(Diff(null, "x", 10, [1, 2, 3]));
            await sink.CompleteAsync();
        }
        Assert.Throws<IOException>(() => new HashingFileSink(PointFiles.Partial(point)));
        PointFiles.Commit(point, new PointSidecar { Job = "j", Vm = "v", Image = "i", Type = "full", Snapshot = "x", Sha256 = new string('a', 64) });
        Assert.True(File.Exists(point));
        Assert.False(File.Exists(PointFiles.Partial(point)));
        Assert.Equal(new string('a', 64), PointFiles.ReadSha(point));
        Assert.Equal($"{new string('a', 64)}  000001\n", File.ReadAllText(PointFiles.ShaFile(point)));
        Assert.Equal("j", PointFiles.ReadSidecar(point)!.Job);
        PointFiles.DeleteAll(point);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public void Mount_check_matches_mount_points_exactly()
    {
        var mounts = Path.Combine(_dir, "mounts");
        File.WriteAllText(mounts, "/dev/sda1 / ext4 rw 0 0\nnas:/b /mnt/backup2 nfs rw 0 0\n/dev/sdb /mnt/my\\040disk ext4 rw 0 0\n");
        var t = new MountTable(mounts);
        Assert.NotNull(t.Check("/mnt/b", "/mnt/b/x"));            // PHP's grep would have matched /mnt/backup2
        Assert.Null(t.Check("/mnt/backup2", "/mnt/backup2/jobs"));
        Assert.Null(t.Check("/mnt/backup2/", "/mnt/backup2"));
        Assert.Contains("not inside", t.Check("/mnt/backup2", "/srv/jobs"));
        Assert.Null(t.Check("/mnt/my disk", "/mnt/my disk/j"));
    }
}
