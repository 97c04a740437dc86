using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;
using CephBackup.IntegrationTests.Restore;

namespace CephBackup.IntegrationTests.Mount;

public class MountTests : RestoreBed
{
    private string Sock(string name) => Path.Combine(Dir, name + ".sock");

    [Fact]
    public async Task Nbdcopy_over_unix_and_tcp_equals_the_source_snapshot_for_full_incremental_and_differential_points()
    {
        var inc = await BackedUpImageAsync("MI", maxInc: 5, runs: 3);
        var diff = await BackedUpImageAsync("MD", maxInc: 5, runs: 3, mode: "differential", prefix: "DF");
        var cases = new[] { ("MI", inc, "000001-000000", "BK-000001-000000"), ("MI", inc, "000001-000002", "BK-000001-000002"),
                            ("MD", diff, "000001-000002", "DF-000001-000002") };
        foreach (var (job, img, rp, snap) in cases)
        {
            var source = await TestRbd.Sha256Async($"{Spec(img)}@{snap}");
            var sock = Sock(rp);
            await using (var unix = await MountedPoint.StartAsync(ConfigPath, job, img, rp, "--listen", "unix:" + sock))
            {
                Assert.StartsWith($"nbd+unix:///{job}-{img}-{rp}?socket={sock}", unix.Uri);
                Assert.Equal(source, await NbdTools.NbdcopySha256Async(unix.Uri));
                Assert.Equal(0, await unix.StopAsync());
            }
            Assert.False(File.Exists(sock), "the socket is removed at exit");

            await using var tcp = await MountedPoint.StartAsync(ConfigPath, job, img, rp, "--listen", "tcp:127.0.0.1:0");
            Assert.Matches(@"^nbd://127\.0\.0\.1:[0-9]+/", tcp.Uri);
            Assert.Equal(source, await NbdTools.NbdcopySha256Async(tcp.Uri));
            // qemu's client (NBD_OPT_GO with block sizes, structured reads) sees the same disk.
            var raw = Path.Combine(Dir, rp + ".raw");
            var conv = await NbdTools.RunAsync("qemu-img", "convert", "-f", "raw", "-O", "raw", tcp.Uri, raw);
            Assert.True(conv.ExitCode == 0, conv.Stderr);
            Assert.Equal(source, await NbdTools.FileSha256Async(raw));
            File.Delete(raw);
        }
    }

    [Fact]
    public async Task The_map_shows_holes_two_clients_read_at_once_and_a_write_is_refused()
    {
        var img = await BackedUpImageAsync("MM", maxInc: 5, runs: 2);
        var source = await TestRbd.Sha256Async($"{Spec(img)}@BK-000001-000001");
        await using var m = await MountedPoint.StartAsync(ConfigPath, "MM", img, "000001-000001", "--listen", "unix:" + Sock("mm"), "--export-name", "disk");
        Assert.EndsWith($"/disk?socket={Sock("mm")}", m.Uri.Replace("nbd+unix:///disk", "/disk"));

        var map = await NbdTools.RunAsync("nbdinfo", "--map", m.Uri);
        Assert.True(map.ExitCode == 0, map.Stderr);
        // The image has data at 0-1 MiB and 8-12 MiB (plus what the diff changed); the rest was never written.
        Assert.Matches(@"(?m)^\s*0\s+[0-9]+\s+0\s+data", map.Stdout);
        Assert.Matches(@"(?m)^\s*[0-9]+\s+[0-9]+\s+3\s+hole,zero", map.Stdout);

        var both = await Task.WhenAll(NbdTools.NbdcopySha256Async(m.Uri), NbdTools.NbdcopySha256Async(m.Uri));
        Assert.Equal([source, source], both);

        // libnbd refuses writes to a read-only export itself; strict mode off makes it send one, so the server answers.
        var write = await NbdTools.NbdshAsync("-c", "h.set_strict_mode(0)", "-c", $"h.connect_uri('{m.Uri}')",
            "-c", "h.pwrite(b'x' * 512, 0)");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Operation not permitted", write.Stderr);
        var read = await NbdTools.NbdshAsync("-c", $"h.connect_uri('{m.Uri}')", "-c", "print(h.is_read_only(), len(h.pread(4096, 0)))");
        Assert.Equal("True 4096", read.Stdout.Trim());
        Assert.Equal(0, await m.StopAsync());
        Assert.True(int.Parse(System.Text.RegularExpressions.Regex.Match(m.Stdout, "stopped after ([0-9]+) connections").Groups[1].Value) >= 5);
    }

    [Fact]
    public async Task A_compressed_and_a_mixed_chain_are_served_and_written_bit_exact()
    {
        // Plain full, zstd incremental on it, plain incremental on that: every point reads through both codecs.
        var id = await Bed.AddJobAsync("MZ", maxInc: 5);
        var img = await Bed.AddImageAsync(id, "vm-MZ");
        foreach (var compression in new[] { "NULL", "'zstd'", "'none'" })
        {
            await Bed.Db.ExecAsync($"UPDATE backup_jobs SET compression = {compression} WHERE name = 'MZ'");
            if (compression != "NULL") await BackupBed.ChangeAsync(img);
            Assert.Equal(ExitCode.Ok, (await Bed.ExecAsync("MZ")).ExitCode);
        }
        Assert.Equal(["plain", "zstd", "plain"], (await PointsAsync(img)).Select(p => p.Format));

        foreach (var point in new[] { 1, 2 })
        {
            var rp = $"000001-00000{point}";
            var source = await TestRbd.Sha256Async($"{Spec(img)}@BK-{rp}");
            await using (var m = await MountedPoint.StartAsync(ConfigPath, "MZ", img, rp, "--listen", "unix:" + Sock("mz" + point)))
            {
                Assert.Equal(source, await NbdTools.NbdcopySha256Async(m.Uri));
                Assert.Equal(0, await m.StopAsync());
            }
            var file = Path.Combine(Dir, $"mz{point}.raw");
            var r = await Cli("restore", "MZ", img, rp, "--to-file", file);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(source, await NbdTools.FileSha256Async(file));
        }
    }

    [Fact]
    public async Task To_file_equals_the_source_snapshot_is_sparse_and_refuses_an_existing_file()
    {
        var img = await BackedUpImageAsync("MF", maxInc: 5, runs: 3);
        var file = Path.Combine(Dir, "disk.raw");
        var r = await Cli("restore", "MF", img, "000001-000002", "--to-file", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("restored 000001-000002 into " + file, r.Stdout);
        Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@BK-000001-000002"), await NbdTools.FileSha256Async(file));
        Assert.Equal(64L << 20, new FileInfo(file).Length);
        var allocated = await NbdTools.AllocatedBytesAsync(file);
        Assert.True(allocated < (16L << 20), $"{allocated} bytes allocated of 64 MiB");

        var again = await Cli("restore", "MF", img, "000001-000002", "--to-file", file);
        Assert.Equal((int)ExitCode.InvalidInput, again.ExitCode);
        Assert.Contains("already exists", again.Stderr);

        // Without the database: the chain folder's sidecars are enough.
        var folder = Path.Combine(Bed.Root, "MF", "vm-MF", img);
        var fromDir = Path.Combine(Dir, "fromdir.raw");
        var d = await Cli("restore", "--from-dir", folder, "000001-000001", "--to-file", fromDir);
        Assert.True(d.ExitCode == 0, d.Stderr);
        Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@BK-000001-000001"), await NbdTools.FileSha256Async(fromDir));
    }

    [Fact]
    public async Task A_corrupt_file_is_never_served_nor_written()
    {
        var img = await BackedUpImageAsync("MC", maxInc: 5, runs: 2);
        var points = await PointsAsync(img);
        await FlipByteAsync(points[1].FilePath);

        var e = await Assert.ThrowsAsync<MountFailedException>(() => MountedPoint.StartAsync(ConfigPath, "MC", img, "000001-000001", "--listen", "unix:" + Sock("mc")));
        Assert.Equal((int)ExitCode.VerificationFailed, e.ExitCode);
        Assert.Contains(points[1].FilePath, e.Stderr);
        Assert.False(File.Exists(Sock("mc")));

        var file = Path.Combine(Dir, "bad.raw");
        var r = await Cli("restore", "MC", img, "000001-000001", "--to-file", file);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.False(File.Exists(file));

        // Background mode serves at once; once the mismatch is found, every read fails with EIO.
        await using var m = await MountedPoint.StartAsync(ConfigPath, "MC", img, "000001-000001", "--listen", "unix:" + Sock("mc"), "--verify", "background");
        for (var i = 0; i < 200 && !m.Stdout.Contains("every read now fails"); i++) await Task.Delay(100);
        Assert.Contains("every read now fails with EIO", m.Stdout);
        var read = await NbdTools.NbdshAsync("-c", $"h.connect_uri('{m.Uri}')", "-c", "h.pread(4096, 0)");
        Assert.NotEqual(0, read.ExitCode);
        Assert.Contains("Input/output error", read.Stderr);
        Assert.Equal((int)ExitCode.VerificationFailed, await m.StopAsync());
    }
}
