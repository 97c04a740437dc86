using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

/// <summary>Issue #11.2, #11.3, #11.7 and the one-read restore: what is checked, in which order, with which exit code.</summary>
public class RestoreCheckOrderTests : RestoreBed
{
    [Fact]
    public async Task A_missing_pool_is_found_before_any_checksum_is_read_exit_5_printed_once_without_a_cleanup_claim()
    {
        var img = await BackedUpImageAsync("PM", maxInc: 5, runs: 2);
        // A corrupt file would be exit 6 if the files were read first.
        await FlipByteAsync((await PointsAsync(img))[0].FilePath);
        var r = await Cli("restore", "PM", img, "000001-000001", NewName(), "--pool", "nosuchpool" + TestEnv.Unique());
        Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
        Assert.Contains("pool 'nosuchpool", r.Stderr);
        Assert.Contains("does not exist", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("partial image", r.Stderr);
    }

    [Fact]
    public async Task Dry_run_refuses_an_existing_name_and_a_missing_pool_like_a_real_run()
    {
        var img = await BackedUpImageAsync("DR", maxInc: 5, runs: 1);
        var existing = await Bed.AddImageAsync(await Bed.AddJobAsync("DX", 1), "vmx");

        var taken = await Cli("restore", "DR", img, "000001-000000", existing, "--dry-run");
        Assert.Equal((int)ExitCode.InvalidInput, taken.ExitCode);
        Assert.Contains("already exists", taken.Stderr);
        Assert.DoesNotContain("would proceed", taken.Stdout);

        var noPool = await Cli("restore", "DR", img, "000001-000000", NewName(), "--dry-run", "--pool", "nosuchpool" + TestEnv.Unique());
        Assert.Equal((int)ExitCode.InvalidInput, noPool.ExitCode);
        Assert.Contains("does not exist", noPool.Stderr);

        var ok = await Cli("restore", "DR", img, "000001-000000", NewName(), "--dry-run");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("would proceed", ok.Stdout);
    }

    [Fact]
    public async Task A_corrupt_file_is_caught_while_importing_and_the_image_removed_or_with_verify_first_before_anything_exists()
    {
        var img = await BackedUpImageAsync("CI", maxInc: 5, runs: 2);
        var points = await PointsAsync(img);
        await FlipByteAsync(points[1].FilePath);

        var name = NewName();
        var r = await Cli("restore", "CI", img, "000001-000001", name);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains($"file {points[1].FilePath} does not match its recorded sha256", r.Stderr);
        Assert.Contains($"the partial image {Spec(name)} was removed", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));
        Assert.Contains($"Removed partial image {Spec(name)}", Logs());

        var first = NewName();
        r = await Cli("restore", "CI", img, "000001-000001", first, "--verify-first");
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains("nothing was created", r.Stderr);
        Assert.False(await ExistsAsync(Spec(first)));
        Assert.DoesNotContain($"Restoring job CI, vm-CI/{img} 000001-000001 into {Spec(first)}", Logs());
    }

    [Fact]
    public async Task A_good_restore_and_a_verify_leave_information_lines_in_the_log_file()
    {
        var img = await BackedUpImageAsync("LG", maxInc: 5, runs: 2);
        var name = NewName();
        Assert.Equal(0, (await Cli("restore", "LG", img, "000001-000001", name)).ExitCode);
        Assert.Equal(0, (await Cli("verify", "--job", "LG")).ExitCode);
        var logs = Logs();
        Assert.Contains($"[INF] Restored job LG, vm-LG/{img} 000001-000001 into {Spec(name)}: ok", logs);
        Assert.Contains($"[INF] Verify LG vm-LG/{img} 000001-000001", logs);
        Assert.Contains("[INF] Verify (job LG", logs);
    }

    [Fact]
    public async Task A_catalog_file_path_outside_the_job_folder_is_refused_by_restore_and_verify()
    {
        var img = await BackedUpImageAsync("OUT", maxInc: 5, runs: 1);
        var p = (await PointsAsync(img))[0];
        // A copy outside the job folder with the right size and checksum: only the place is wrong.
        var outside = Path.Combine(Dir, "elsewhere");
        File.Copy(p.FilePath, outside);
        await Bed.Db.ExecAsync($"UPDATE cephbackup_points SET file_path = '{outside}' WHERE id = {p.Id}");

        var name = NewName();
        var r = await Cli("restore", "OUT", img, "000001-000000", name);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains("outside the job's folder", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));

        var v = await Cli("verify", "--job", "OUT");
        Assert.Equal((int)ExitCode.VerificationFailed, v.ExitCode);
        Assert.Contains("outside the job's folder", v.Stdout);
    }

    [Theory]
    [InlineData("--vm", "no-such-vm")]
    [InlineData("--image", "no-such-image")]
    [InlineData("--job", "NOJOB")]
    public async Task Verify_with_an_unknown_selector_is_exit_5(string option, string value)
    {
        await BackedUpImageAsync("SEL", maxInc: 5, runs: 1);
        var r = await Cli("verify", option, value);
        Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }
}
