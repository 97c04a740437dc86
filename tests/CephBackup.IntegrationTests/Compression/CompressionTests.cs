using System.Diagnostics;
using System.Security.Cryptography;
using CephBackup.Commands.Catalog;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;
using CephBackup.IntegrationTests.Restore;

namespace CephBackup.IntegrationTests.Compression;

/// <summary>Real backups into <c>.zst</c> points (issue #12), restored with the real command line.</summary>
public class CompressionTests : RestoreBed
{
    private static string Zst(BackupPoint p) => p.FilePath + ZstdPointCodec.Extension;
    private static string Sha(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    private Task SetCompressionAsync(string job, string? value) =>
        Bed.Db.ExecAsync($"UPDATE backup_jobs SET compression = {(value is null ? "NULL" : $"'{value}'")} WHERE name = '{job}'");

    private async Task ExecOkAsync(string job, string img, bool change = true)
    {
        if (change) await BackupBed.ChangeAsync(img);
        var o = await Bed.ExecAsync(job);
        Assert.True(o.ExitCode == ExitCode.Ok, Bed.LogText.ToString());
    }

    private async Task AssertRestoresBitExactAsync(string job, string img, BackupPoint p)
    {
        var name = NewName();
        var r = await Cli("restore", job, img, p.RestorePoint, name);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@{p.Snapshot}"), await TestRbd.Sha256Async(Spec(name)));
    }

    [Fact]
    public async Task A_compressed_chain_is_stored_as_zst_with_both_checksums_and_restores_bit_exact()
    {
        var id = await Bed.AddJobAsync("ZC", maxInc: 5);
        await SetCompressionAsync("ZC", "zstd");
        var img = await Bed.AddImageAsync(id, "vm-zc");
        await ExecOkAsync("ZC", img, change: false);
        await ExecOkAsync("ZC", img);
        await ExecOkAsync("ZC", img);

        var points = await PointsAsync(img);
        Assert.Equal(3, points.Count);
        foreach (var p in points)
        {
            Assert.False(File.Exists(p.FilePath), "the catalog names the plain path, the file is .zst");
            Assert.Equal(("zstd", new FileInfo(Zst(p)).Length, Sha(Zst(p))), (p.Format, p.SizeBytes, p.Sha256));
            // The stream checksum is what rbd produced: what `zstd -dc` gives back.
            var decoded = Path.Combine(Dir, "decoded-" + p.Point);
            Assert.Equal(0, Run(Dir, "zstd", "-d", "-q", "-o", decoded, Zst(p)).Code);
            Assert.Equal((p.StreamSha256, p.StreamSizeBytes), (Sha(decoded), new FileInfo(decoded).Length));
            // The .sha256 sidecar names the stored file, so the admin's check keeps working.
            Assert.Equal(0, Run(Path.GetDirectoryName(p.FilePath)!, "sha256sum", "-c", "--quiet", Path.GetFileName(p.FilePath) + ".sha256").Code);
            var meta = PointFiles.ReadSidecar(p.FilePath)!;
            Assert.Equal(("zstd", p.StreamSha256, p.StreamSizeBytes, p.Sha256), (meta.Format, meta.StreamSha256, meta.StreamSizeBytes, meta.Sha256));
            await AssertRestoresBitExactAsync("ZC", img, p);
        }
    }

    [Fact]
    public async Task A_chain_whose_compression_changed_mid_way_restores_every_point_bit_exact_also_from_the_folder()
    {
        var id = await Bed.AddJobAsync("ZM", maxInc: 5);
        var img = await Bed.AddImageAsync(id, "vm-zm");
        await ExecOkAsync("ZM", img, change: false);   // plain full
        await SetCompressionAsync("ZM", "zstd:5");
        await ExecOkAsync("ZM", img);                  // compressed incremental on a plain base
        await SetCompressionAsync("ZM", "none");
        await ExecOkAsync("ZM", img);                  // plain incremental on a compressed base

        var points = await PointsAsync(img);
        Assert.Equal(["plain", "zstd", "plain"], points.Select(p => p.Format));
        Assert.True(File.Exists(points[0].FilePath) && File.Exists(Zst(points[1])) && File.Exists(points[2].FilePath));
        Assert.Equal(points[0].Sha256, points[0].StreamSha256);
        foreach (var p in points) await AssertRestoresBitExactAsync("ZM", img, p);

        // Without the catalog: the sidecars alone, plain and .zst mixed.
        var name = NewName();
        var r = await Cli("restore", "--from-dir", Path.GetDirectoryName(points[2].FilePath)!, "000001-000002", name, "--pool", TestEnv.Pool);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@{points[2].Snapshot}"), await TestRbd.Sha256Async(Spec(name)));
    }

    [Fact]
    public async Task Planning_rehashes_a_touched_zst_base_and_starts_a_new_chain_when_it_is_damaged()
    {
        var id = await Bed.AddJobAsync("ZB", maxInc: 5);
        await SetCompressionAsync("ZB", "zstd:1");
        var img = await Bed.AddImageAsync(id, "vm-zb");
        await ExecOkAsync("ZB", img, change: false);
        var full = (await PointsAsync(img)).Single();

        // Written to after it was recorded (same bytes): re-hashed, still good, so the chain goes on.
        File.SetLastWriteTimeUtc(Zst(full), DateTime.UtcNow.AddMinutes(5));
        await ExecOkAsync("ZB", img);
        Assert.Equal([(1, 0), (1, 1)], (await PointsAsync(img)).Select(p => (p.Chain, p.Point)));

        await FlipByteAsync(Zst((await PointsAsync(img))[1]));
        await ExecOkAsync("ZB", img);
        Assert.Equal((2, 0), (await PointsAsync(img)).Select(p => (p.Chain, p.Point)).Last());
        Assert.Contains("does not match its recorded sha256", Bed.LogText.ToString());
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    public async Task A_damaged_zst_is_reported_by_verify_and_refused_by_restore_leaving_nothing_on_ceph(string damage)
    {
        var id = await Bed.AddJobAsync("ZD", maxInc: 5);
        await SetCompressionAsync("ZD", "zstd");
        var img = await Bed.AddImageAsync(id, "vm-zd");
        await ExecOkAsync("ZD", img, change: false);
        await ExecOkAsync("ZD", img);
        var points = await PointsAsync(img);
        var file = Zst(points[1]);
        if (damage == "truncated")
            await using (var f = new FileStream(file, FileMode.Open, FileAccess.Write)) f.SetLength(f.Length - 100);
        else await FlipByteAsync(file);

        var v = await Cli("verify", "--job", "ZD");
        Assert.Equal((int)ExitCode.VerificationFailed, v.ExitCode);
        Assert.Contains("1 failed", v.Stdout);
        Assert.Contains(points[1].RestorePoint, v.Stdout + v.Stderr);

        var name = NewName();
        var r = await Cli("restore", "ZD", img, points[1].RestorePoint, name);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains(points[1].FilePath, r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));
        // The intact full still restores.
        await AssertRestoresBitExactAsync("ZD", img, points[0]);
    }

    [Fact]
    public async Task A_bad_compression_value_fails_only_its_job()
    {
        var bad = await Bed.AddJobAsync("ZX", maxInc: 5);
        await SetCompressionAsync("ZX", "zstd:42");
        await Bed.AddImageAsync(bad, "vm-zx");
        var good = await Bed.AddJobAsync("ZY", maxInc: 5);
        await SetCompressionAsync("ZY", "ZSTD:2");
        var img = await Bed.AddImageAsync(good, "vm-zy");

        var o = await Bed.ExecAsync();
        Assert.NotEqual(ExitCode.Ok, o.ExitCode);
        Assert.Contains("compression 'zstd:42' is not none, zstd or zstd:N", Bed.LogText.ToString());
        Assert.Equal("zstd", (await PointsAsync(img)).Single().Format);
    }

    [Fact]
    public async Task Catalog_import_takes_zst_points_written_by_this_tool()
    {
        var id = await Bed.AddJobAsync("ZI", maxInc: 1);
        await SetCompressionAsync("ZI", "zstd");
        var img = await Bed.AddImageAsync(id, "vm-zi");
        await ExecOkAsync("ZI", img, change: false);
        await ExecOkAsync("ZI", img);
        var before = await PointsAsync(img);
        await Bed.Db.ExecAsync("DELETE FROM cephbackup_points");

        await using (var app = BedApp.Create(Bed))
            Assert.Equal(0, await CatalogImportRunner.RunAsync(new CatalogImportArgs { Job = "ZI" }, app, new StringWriter(), CancellationToken.None));
        var after = await PointsAsync(img);
        Assert.Equal(before.Select(p => (p.RestorePoint, p.Format, p.SizeBytes, p.Sha256, p.StreamSha256, p.Status)),
            after.Select(p => (p.RestorePoint, p.Format, p.SizeBytes, p.Sha256, p.StreamSha256, p.Status)));
        await AssertRestoresBitExactAsync("ZI", img, after[1]);
    }

    [Fact]
    public async Task Retention_deletes_a_compressed_chain_newest_first_and_counts_its_bytes()
    {
        var id = await Bed.AddJobAsync("ZR", maxInc: 0, retention: 1);
        await SetCompressionAsync("ZR", "zstd");
        var img = await Bed.AddImageAsync(id, "vm-zr");
        await ExecOkAsync("ZR", img, change: false);
        await ExecOkAsync("ZR", img);
        var old = (await PointsAsync(img)).First();
        var chainDir = Path.GetDirectoryName(old.FilePath)!;
        var bytes = Directory.EnumerateFiles(chainDir).Sum(f => new FileInfo(f).Length);

        var service = new Core.Jobs.RetentionService(Bed.Catalog, new Core.Reporting.SmtpMailSender(Bed.Mail), Bed.Log);
        var outcome = await service.RunAsync(new Core.Jobs.RetentionRequest { JobName = "ZR" }, new StringWriter(), CancellationToken.None);
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.False(Directory.Exists(chainDir));
        Assert.Equal([(2, 0)], (await PointsAsync(img)).Select(p => (p.Chain, p.Point)));
        Assert.True(bytes > 0);
    }

    private static (int Code, string Out) Run(string dir, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
