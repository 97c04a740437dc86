using System.Text.Json;
using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

/// <summary>restore-vm against the real services: every disk, bit-exact, all or nothing.</summary>
public class RestoreVmTests : RestoreBed
{
    /// <summary>A job with a VM of two disks, backed up twice (points 000001-000000 and 000001-000001).</summary>
    private async Task<(string A, string B)> TwoDiskVmAsync(string job)
    {
        var id = await Bed.AddJobAsync(job, maxInc: 5);
        var a = await Bed.AddImageAsync(id, "vm-" + job);
        var b = await Bed.AddImageAsync(id, "vm-" + job, size: 32L << 20);
        Assert.Equal(ExitCode.Ok, (await Bed.ExecAsync(job)).ExitCode);
        await BackupBed.ChangeAsync(a);
        await BackupBed.ChangeAsync(b, 32L << 20);
        Assert.Equal(ExitCode.Ok, (await Bed.ExecAsync(job)).ExitCode);
        return (a, b);
    }

    private string Target(string image, string suffix)
    {
        Bed.Images.Add(image + suffix);
        return Spec(image + suffix);
    }

    [Fact]
    public async Task Every_disk_is_restored_bit_exact_and_the_new_names_are_printed_as_json()
    {
        var (a, b) = await TwoDiskVmAsync("RV");
        var suffix = "-r" + TestEnv.Unique();
        var r = await Cli("restore-vm", "RV", "vm-RV", "000001-000001", "--suffix", suffix, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var images = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("images").EnumerateArray()
            .Select(e => e.GetProperty("image").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { Target(a, suffix), Target(b, suffix) }, images);
        foreach (var img in new[] { a, b })
            Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@BK-000001-000001"), await TestRbd.Sha256Async(Target(img, suffix)));

        var dry = await Cli("restore-vm", "RV", "vm-RV", "000001-000000", "--suffix", suffix, "--dry-run");
        Assert.Equal((int)ExitCode.InvalidInput, dry.ExitCode); // the names are taken now
        Assert.Contains("already exists", dry.Stderr);
    }

    [Fact]
    public async Task A_disk_lacking_the_point_is_refused_by_name_before_anything_starts()
    {
        var (a, b) = await TwoDiskVmAsync("RL");
        await Bed.Db.ExecAsync($"DELETE FROM cephbackup_points WHERE image = '{b}' AND point = 1");
        var suffix = "-r" + TestEnv.Unique();
        var r = await Cli("restore-vm", "RL", "vm-RL", "000001-000001", "--suffix", suffix);
        Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
        Assert.Contains($"{b}: no restore point 000001-000001", r.Stderr);
        Assert.False(await ExistsAsync(Target(a, suffix)));
        Assert.False(await ExistsAsync(Target(b, suffix)));
    }

    [Fact]
    public async Task When_one_disk_fails_the_others_new_images_are_removed_too()
    {
        var (a, b) = await TwoDiskVmAsync("RF");
        var pointsB = await PointsAsync(b);
        await FlipByteAsync(pointsB[1].FilePath);
        var suffix = "-r" + TestEnv.Unique();
        var r = await Cli("restore-vm", "RF", "vm-RF", "000001-000001", "--suffix", suffix);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains(pointsB[1].FilePath, r.Stderr);
        Assert.False(await ExistsAsync(Target(a, suffix)));
        Assert.False(await ExistsAsync(Target(b, suffix)));
    }
}
