using System.Security.Cryptography;
using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;

namespace CephBackup.Tests.Jobs;

public class RestorePlanningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbrest-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static BackupPoint P(int chain, int point, PointType type, int? basePoint, long id = 0) => new()
    {
        Id = id == 0 ? chain * 100 + point : id, JobId = 1, JobName = "J", Vm = "vm", Image = "img", Chain = chain, Point = point,
        Type = type, BasePoint = basePoint, Snapshot = $"BK-{chain:D6}-{point:D6}", FilePath = $"/b/{chain:D6}/{point:D6}", Sha256 = "x",
    };

    [Fact]
    public void Deep_restores_the_newest_incremental_and_every_differential()
    {
        BackupPoint[] inc = [P(1, 0, PointType.Full, null), P(1, 1, PointType.Incremental, 0), P(1, 2, PointType.Incremental, 1)];
        BackupPoint[] diff = [P(2, 0, PointType.Full, null), P(2, 1, PointType.Differential, 0), P(2, 2, PointType.Differential, 0)];
        BackupPoint[] all = [.. inc, .. diff];

        var targets = VerifyService.DeepTargets(all, all).ToList();

        Assert.Equal(["000001-000002", "000002-000001", "000002-000002"], targets.Select(t => t.Leaf.RestorePoint));
        Assert.Equal([0, 1, 2], targets[0].Sequence.Select(p => p.Point));
        Assert.Equal([0, 2], targets[2].Sequence.Select(p => p.Point));
        // A chain whose base is not in the catalog has nothing to restore (the file pass reports it).
        Assert.Equal([0], VerifyService.DeepTargets([inc[0], inc[2]], [inc[0], inc[2]]).Select(t => t.Leaf.Point));
        // Selecting only the old part of a chain restores its newest selected point, still from the full.
        Assert.Equal([0, 1], VerifyService.DeepTargets(all, [inc[1]]).Single().Sequence.Select(p => p.Point));
    }

    [Fact]
    public void Scratch_names_are_valid_random_and_short_enough()
    {
        var a = VerifyService.ScratchName("web01-disk");
        Assert.Matches("^web01-disk-verify-[0-9a-f]{8}$", a);
        Assert.NotEqual(a, VerifyService.ScratchName("web01-disk"));
        Assert.Equal(128, VerifyService.ScratchName(new string('a', 128)).Length);
    }

    private string WritePoint(int point, string type, int? basePoint, byte[] data, string? sidecarSha = null)
    {
        var chainDir = Directory.CreateDirectory(Path.Combine(_dir, "img", "000001")).FullName;
        var file = Path.Combine(chainDir, point.ToString("D6"));
        File.WriteAllBytes(file + ".partial", data);
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));
        PointFiles.Commit(file, new PointSidecar
        {
            Job = "J", Vm = "vm", Image = "img", Chain = 1, Point = point, Type = type, BasePoint = basePoint,
            Snapshot = $"BK-000001-{point:D6}", ImageSizeBytes = 1 << 20, SizeBytes = data.Length, Sha256 = sidecarSha ?? sha,
        });
        if (sidecarSha is not null) File.WriteAllText(PointFiles.ShaFile(file), $"{sha}  {point:D6}\n");
        return file;
    }

    [Fact]
    public void From_dir_follows_base_links_through_the_sidecars()
    {
        WritePoint(0, "full", null, [1, 2, 3]);
        WritePoint(1, "differential", 0, [4]);
        WritePoint(2, "differential", 0, [5, 6]);

        var plan = RestoreSources.FromDirectory(Path.Combine(_dir, "img"), "000001-000002", "new", "rbd");

        Assert.Equal(["000001-000000", "000001-000002"], plan.Files.Select(f => f.RestorePoint));
        Assert.Equal("rbd/new", plan.Target.ToString());
        Assert.Equal(1 << 20, plan.ImageSizeBytes);
        Assert.Equal(2, plan.Files[1].SizeBytes);
    }

    [Fact]
    public void From_dir_refuses_missing_points_folders_and_disagreeing_sidecars()
    {
        WritePoint(0, "full", null, [1, 2, 3]);
        var chain = Path.Combine(_dir, "img", "000001");
        Assert.Equal(ExitCode.InvalidInput, Assert.Throws<CephBackupException>(() => RestoreSources.FromDirectory(chain, "000001-000004", "n", "rbd")).Code);
        Assert.Equal(ExitCode.InvalidInput, Assert.Throws<CephBackupException>(() => RestoreSources.FromDirectory(_dir, "000001-000000", "n", "rbd")).Code);
        Assert.Equal(ExitCode.InvalidInput, Assert.Throws<CephBackupException>(() => RestoreSources.FromDirectory(chain, "000001-000000", "bad name", "rbd")).Code);

        WritePoint(1, "incremental", 0, [7], sidecarSha: new string('0', 64));
        var e = Assert.Throws<CephBackupException>(() => RestoreSources.FromDirectory(chain, "000001-000001", "n", "rbd"));
        Assert.Equal(ExitCode.VerificationFailed, e.Code);
        Assert.Contains("differ", e.Message);
    }

    [Fact]
    public async Task File_check_names_missing_short_and_changed_files()
    {
        var file = Path.Combine(_dir, "f");
        await File.WriteAllBytesAsync(file, [1, 2, 3, 4]);
        var sha = Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3, 4 }));
        RestoreFile F(long size, string? s) => new("000001-000000", PointType.Full, file, size, s, "BK-000001-000000");

        Assert.Equal(new FileCheck(F(4, sha), true, null), await RestoreService.CheckFileAsync(F(4, sha), null, default));
        Assert.Contains("has 4 bytes, recorded 5", (await RestoreService.CheckFileAsync(F(5, sha), null, default)).Problem);
        Assert.Contains("does not match its recorded sha256", (await RestoreService.CheckFileAsync(F(4, new string('a', 64)), null, default)).Problem);
        Assert.Equal(new FileCheck(F(4, null), false, null), await RestoreService.CheckFileAsync(F(4, null), null, default));
        File.Delete(file);
        Assert.Equal($"file {file} is missing", (await RestoreService.CheckFileAsync(F(4, sha), null, default)).Problem);
    }

    [Fact]
    public async Task Hashing_read_stream_hashes_what_was_read_and_knows_the_end()
    {
        var data = RandomNumberGenerator.GetBytes(3 << 20);
        var seen = new List<long>();
        await using var s = new HashingReadStream(new MemoryStream(data), seen.Add);
        var buf = new byte[1 << 20];
        Assert.Equal(0, await s.ReadAsync(buf.AsMemory(0, 0)));
        Assert.False(s.ReachedEnd);
        await s.ReadExactlyAsync(buf);
        Assert.False(s.ReachedEnd);
        await s.CopyToAsync(Stream.Null);
        Assert.True(s.ReachedEnd);
        Assert.Equal(data.Length, s.BytesRead);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), s.CurrentSha256());
        Assert.Equal(data.Length, seen[^1]);
    }

    [Fact]
    public void Progress_line_shows_bytes_rate_and_eta()
    {
        var line = TerminalProgress.Line(new RestoreProgress(RestorePhase.Import, 1, 3, "/b/J/vm/img/000001/000001", 50_000_000, 200_000_000),
            TimeSpan.FromSeconds(1));
        Assert.Equal("importing 2/3 000001/000001: 48 MiB of 191 MiB (25%), 48 MiB/s, ETA 0:03", line);
        Assert.EndsWith("(0%), -/s, ETA -", TerminalProgress.Line(new RestoreProgress(RestorePhase.Verify, 0, 1, "/b/000001/000000", 1, 200), TimeSpan.Zero));
    }
}
