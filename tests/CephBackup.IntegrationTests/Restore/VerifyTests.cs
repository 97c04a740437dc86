using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

public class VerifyTests : RestoreBed
{
    private async Task<List<string>> ScratchImagesAsync(string img) =>
        (await TestRbd.RunAsync("ls", "-p", TestEnv.Pool)).Split('\n').Where(n => n.StartsWith(img + "-verify-", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Good_files_pass_get_verified_at_and_deep_compares_with_the_source_snapshot_leaving_no_scratch_image()
    {
        var img = await BackedUpImageAsync("JV", maxInc: 5, runs: 3);
        var other = await BackedUpImageAsync("JW", maxInc: 5, runs: 1);

        var r = await Cli("verify", "--job", "JV");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("verify: 3 checked, 3 ok, 0 failed, 0 skipped", r.Stdout);
        Assert.All(await PointsAsync(img), p => Assert.NotNull(p.VerifiedAt));
        Assert.All(await PointsAsync(other), p => Assert.Null(p.VerifiedAt));

        Assert.Contains("verify: 0 checked", (await Cli("verify", "--since", DateTime.Now.AddDays(2).ToString("yyyy-MM-dd"))).Stdout);

        r = await Cli("verify", "--image", img, "--deep");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("deep: 1 restored, 1 compared with the source snapshot", r.Stdout);
        Assert.Empty(await ScratchImagesAsync(img));

        // Without the source snapshot the restore still runs, but there is nothing to compare with.
        await TestRbd.RunAsync("snap", "rm", "--no-progress", $"{Spec(img)}@BK-000001-000002");
        r = await Cli("verify", "--vm", "vm-JV", "--deep");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("deep: 1 restored, 0 compared", r.Stdout);
        Assert.Contains("BK-000001-000002 no longer exists", r.Stdout);
        Assert.Empty(await ScratchImagesAsync(img));
    }

    [Fact]
    public async Task A_corrupted_file_fails_by_name_and_keeps_its_verified_at_empty()
    {
        var img = await BackedUpImageAsync("JY", maxInc: 5, runs: 2);
        var points = await PointsAsync(img);
        var good = await File.ReadAllBytesAsync(points[1].FilePath);
        await FlipByteAsync(points[1].FilePath);

        var r = await Cli("verify", "--deep");
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains($"FAIL JY vm-JY/{img} 000001-000001: file {points[1].FilePath} does not match its recorded sha256", r.Stdout);
        Assert.Contains("verify: 2 checked, 1 ok, 1 failed, 0 skipped; deep: 0 restored", r.Stdout);
        Assert.Contains("deep restore skipped", r.Stdout);
        var after = await PointsAsync(img);
        Assert.NotNull(after[0].VerifiedAt);
        Assert.Null(after[1].VerifiedAt);
        Assert.Empty(await ScratchImagesAsync(img));

        File.Delete(points[0].FilePath);
        r = await Cli("verify", "--job", "JY");
        Assert.Contains($"{points[0].FilePath} is missing", r.Stdout);
        Assert.Contains("2 failed", r.Stdout);

        // A point whose base is gone from the catalog cannot be restored, however good its own file is.
        await File.WriteAllBytesAsync(points[1].FilePath, good);
        await Bed.Db.ExecAsync($"DELETE FROM cephbackup_points WHERE id = {points[0].Id}");
        r = await Cli("verify", "--job", "JY");
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains($"FAIL JY vm-JY/{img} 000001-000001: restore point 000001-000001 needs 000001-000000, which is not in the catalog", r.Stdout);
    }
}
