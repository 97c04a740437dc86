using System.Text.Json;
using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

public class RestoreTests : RestoreBed
{
    [Fact]
    public async Task Every_point_of_incremental_and_differential_chains_restores_bit_exact()
    {
        var inc = await BackedUpImageAsync("JI", maxInc: 5, runs: 3);
        var diff = await BackedUpImageAsync("JD", maxInc: 5, runs: 3, mode: "differential", prefix: "DF");
        foreach (var (job, img) in new[] { ("JI", inc), ("JD", diff) })
        {
            // The differential chain's full is restored like any full (covered by the incremental job).
            foreach (var p in (await PointsAsync(img)).Where(p => job == "JI" || p.Point > 0))
            {
                var name = NewName();
                var keep = p.Point == 2;
                var r = await Cli(keep ? ["restore", job, img, p.RestorePoint, name, "--keep-snapshots"] : ["restore", job, img, p.RestorePoint, name]);
                Assert.True(r.ExitCode == 0, r.Stderr);
                Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@{p.Snapshot}"), await TestRbd.Sha256Async(Spec(name)));
                Assert.Contains($"restored {p.RestorePoint} into {Spec(name)} (64 MiB,", r.Stdout);
                var expected = !keep ? []
                    : job == "JI" ? new List<string> { "BK-000001-000000", "BK-000001-000001", "BK-000001-000002" }
                    : ["DF-000001-000000", "DF-000001-000002"];
                Assert.Equal(expected, await SnapNamesAsync(Spec(name)));
            }
        }
    }

    [Fact]
    public async Task Json_output_is_one_object_and_dry_run_touches_nothing_on_ceph()
    {
        var img = await BackedUpImageAsync("JJ", maxInc: 5, runs: 2);
        var name = NewName();
        var dry = await Cli("restore", "JJ", img, "000001-000001", name, "--dry-run");
        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("sha256 verified", dry.Stdout);
        Assert.Contains(Path.Combine(Bed.Root, "JJ", "vm-JJ", img, "000001", "000001"), dry.Stdout);
        Assert.False(await ExistsAsync(Spec(name)));

        var r = await Cli("restore", "JJ", img, "000001-000001", name, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var o = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(Spec(name), o.GetProperty("image").GetString());
        Assert.Equal(64L << 20, o.GetProperty("sizeBytes").GetInt64());
        Assert.Equal(2, o.GetProperty("files").GetInt32());
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public async Task An_existing_target_is_refused_and_left_untouched()
    {
        var img = await BackedUpImageAsync("JE", maxInc: 5, runs: 1);
        var other = await Bed.AddImageAsync(await Bed.AddJobAsync("JX", 1), "vmx");
        var before = await TestRbd.Sha256Async(Spec(other));

        var r = await Cli("restore", "JE", img, "000001-000000", other);
        Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
        Assert.Contains("already exists", r.Stderr);
        Assert.Equal(before, await TestRbd.Sha256Async(Spec(other)));
        Assert.Empty(await SnapNamesAsync(Spec(other)));
    }

    [Fact]
    public async Task A_corrupted_or_missing_file_is_refused_by_name_and_nothing_is_created()
    {
        var img = await BackedUpImageAsync("JC", maxInc: 5, runs: 2);
        var points = await PointsAsync(img);
        await FlipByteAsync(points[1].FilePath);
        var name = NewName();
        var r = await Cli("restore", "JC", img, "000001-000001", name);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains(points[1].FilePath, r.Stderr);
        Assert.Contains("sha256", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));

        File.Delete(points[0].FilePath);
        r = await Cli("restore", "JC", img, "000001-000000", name);
        Assert.Equal((int)ExitCode.VerificationFailed, r.ExitCode);
        Assert.Contains($"{points[0].FilePath} is missing", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));
    }

    [Fact]
    public async Task Bad_requests_give_one_clear_line_and_create_nothing()
    {
        var img = await BackedUpImageAsync("JB", maxInc: 5, runs: 1);
        var name = NewName();
        (string[] Args, string Message)[] cases =
        [
            (["restore", "NOJOB", img, "000001-000000", name], "unknown job 'NOJOB'"),
            (["restore", "JB", "no-such-image", "000001-000000", name], "job JB has no image 'no-such-image'"),
            (["restore", "JB", img, "000001-000007", name], "no restore point 000001-000007"),
            (["restore", "JB", img, "000009-000000", name], "no restore point 000009-000000"),
            (["restore", "JB", img, "1-0", name], "invalid restore point '1-0'"),
            (["restore", "JB", img, "000001-000000", "-bad/name"], "invalid image name '-bad/name'"),
            (["restore", "JB", img, "000001-000000", name, "--pool", "../x"], "invalid pool name"),
        ];
        foreach (var (args, message) in cases)
        {
            var r = await Cli(args);
            Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
            Assert.Contains(message, r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'));
        }
        Assert.False(await ExistsAsync(Spec(name)));
    }

    [Fact]
    public async Task Unverified_points_need_force_unverified()
    {
        var img = await BackedUpImageAsync("JU", maxInc: 5, runs: 2);
        await Bed.Db.ExecAsync("UPDATE cephbackup_points SET status = 'unverified' WHERE point = 0");
        var name = NewName();
        var r = await Cli("restore", "JU", img, "000001-000001", name);
        Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
        Assert.Contains("--force-unverified", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));

        r = await Cli("restore", "JU", img, "000001-000001", name, "--force-unverified");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(await TestRbd.Sha256Async($"{Spec(img)}@BK-000001-000001"), await TestRbd.Sha256Async(Spec(name)));

        await Bed.Db.ExecAsync("UPDATE cephbackup_points SET status = 'deleting' WHERE point = 1");
        r = await Cli("restore", "JU", img, "000001-000001", NewName(), "--force-unverified");
        Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
    }
}
