using System.Text.Json;
using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Ops;

/// <summary><c>job</c> and <c>vm</c> verbs through the real CLI host against the real MariaDB and Ceph.</summary>
public class JobCliTests : BedTest
{
    private CliRun _cli = null!;
    public override async Task InitializeAsync() { await base.InitializeAsync(); _cli = OpsBed.Cli(_bed); }

    private async Task<CliResult> Ok(params string[] args)
    {
        var r = await _cli.RunAsync(args);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)} -> {r.ExitCode}: {r.Stderr}{r.Stdout}");
        return r;
    }

    private async Task Fails(ExitCode code, string expected, params string[] args)
    {
        var before = await OpsBed.TablesAsync(_bed);
        var r = await _cli.RunAsync(args);
        Assert.True((int)code == r.ExitCode, $"{string.Join(' ', args)} -> {r.ExitCode}, wanted {(int)code}: {r.Stderr}{r.Stdout}");
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Equal(before, await OpsBed.TablesAsync(_bed));
    }

    [Fact]
    public async Task A_job_made_by_job_add_has_php_rows_and_is_backed_up_by_exec()
    {
        var target = Path.Combine(_bed.Root, "target");
        var img1 = await OpsBed.ImageAsync(_bed);
        var img2 = await OpsBed.ImageAsync(_bed);
        await Ok("vm", "add", "web01", img1, $"{TestEnv.Pool}/{img2}");
        await Ok("job", "add", "nightly", "--path", target, "--max-inc", "3", "--retention", "4", "--days", "1,2,3,4,5,6,7", "--weeks", "all", "--parallel", "2");
        await Ok("job", "attach", "nightly", "web01");

        // bkexec.php: SELECT * FROM backup_jobs WHERE enabled = 1, the first 11 columns by position.
        var job = Assert.Single(await OpsBed.RowsAsync(_bed, "SELECT * FROM backup_jobs WHERE enabled = 1"));
        var id = Convert.ToInt32(job[0]);
        Assert.Equal(new object?[] { id, "nightly", 3, 1, null, null, target, 0, 4, null, $"cbk{id}", 5 }, job[..12]);
        Assert.Equal(2, Convert.ToInt32((await OpsBed.RowsAsync(_bed, "SELECT max_parallel FROM backup_jobs"))[0][0]));
        // backup_days: idbackup_job at ordinal 0, `1`..`7` at ordinals 1..7; no backup_weeks row for "all".
        Assert.Equal(new object?[] { id, 1, 1, 1, 1, 1, 1, 1 }, Assert.Single(await OpsBed.RowsAsync(_bed, "SELECT * FROM backup_days"))[..8]);
        Assert.Equal(0, await OpsBed.CountAsync(_bed, "backup_weeks"));
        // The image query of bkexec.php: counters 0/0 mean "first backup: FULL in chain 1".
        var links = await OpsBed.RowsAsync(_bed, $"SELECT v.vm, bv.inc, bv.`full`, v.idvms, v.image FROM backup_vms bv JOIN vms v ON v.idvms = bv.idvms WHERE bv.idbackup_jobs = {id} ORDER BY v.image");
        Assert.Equal(2, links.Count);
        Assert.All(links, l => Assert.Equal(new object?[] { "web01", 0, 0 }, l[..3]));

        var run = await _cli.RunAsync("exec", "--job", "nightly");
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout + _cli.AllLogs());
        Assert.True(File.Exists(Path.Combine(target, "nightly", "web01", img1, "000001", "000000")));
        Assert.True(File.Exists(Path.Combine(target, "nightly", "web01", $"{TestEnv.Pool}@{img2}", "000001", "000000")));
        Assert.Contains($"cbk{id}-000001-000000", await TestRbd.RunAsync("snap", "ls", $"{TestEnv.Pool}/{img1}"));

        var show = JsonDocument.Parse((await Ok("job", "show", "nightly", "--json")).Stdout).RootElement;
        Assert.Equal("nightly", show.GetProperty("name").GetString());
        Assert.Equal(2, show.GetProperty("points").GetInt32());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], show.GetProperty("days").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(JsonValueKind.Null, show.GetProperty("weeks").ValueKind);
        Assert.Equal(2, show.GetProperty("images").GetArrayLength());
        var list = JsonDocument.Parse((await Ok("job", "list", "--json")).Stdout).RootElement;
        Assert.Equal("nightly", Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());
        Assert.Contains("nightly", (await Ok("job", "list")).Stdout);
        Assert.Contains($"cbk{id}", (await Ok("job", "show", "nightly")).Stdout);
    }

    [Fact]
    public async Task Invalid_values_are_exit_12_unknown_names_exit_5_and_nothing_is_written()
    {
        var p = Path.Combine(_bed.Root, "t");
        await Ok("job", "add", "base", "--path", p, "--snap-prefix", "BASE");
        await Fails(ExitCode.ConfigError, "absolute", "job", "add", "j1", "--path", "relative/dir");
        await Fails(ExitCode.ConfigError, "--path is required", "job", "add", "j1");
        await Fails(ExitCode.ConfigError, "negative", "job", "add", "j1", "--path", p, "--max-inc", "-1");
        await Fails(ExitCode.ConfigError, "--retention", "job", "add", "j1", "--path", p, "--retention", "0");
        await Fails(ExitCode.ConfigError, "--max-snaps", "job", "add", "j1", "--path", p, "--max-snaps", "0");
        await Fails(ExitCode.ConfigError, "--parallel", "job", "add", "j1", "--path", p, "--parallel", "0");
        await Fails(ExitCode.ConfigError, "mode", "job", "add", "j1", "--path", p, "--mode", "weekly");
        await Fails(ExitCode.ConfigError, "snap-prefix", "job", "add", "j1", "--path", p, "--snap-prefix", "waytoolongprefix");
        await Fails(ExitCode.ConfigError, "snap-prefix", "job", "add", "j1", "--path", p, "--snap-prefix", "a/b");
        await Fails(ExitCode.ConfigError, "prefix of job 'base'", "job", "add", "j1", "--path", p, "--snap-prefix", "BASE");
        await Fails(ExitCode.ConfigError, "--days", "job", "add", "j1", "--path", p, "--days", "1,8");
        await Fails(ExitCode.ConfigError, "--days", "job", "add", "j1", "--path", p, "--days", "1,1");
        await Fails(ExitCode.ConfigError, "--weeks", "job", "add", "j1", "--path", p, "--weeks", "6");
        await Fails(ExitCode.ConfigError, "not inside --mountpoint", "job", "add", "j1", "--path", "/srv/backup", "--mountpoint", "/mnt/b");
        await Fails(ExitCode.ConfigError, "invalid job name", "job", "add", "../evil", "--path", p);
        await Fails(ExitCode.ConfigError, "invalid job name", "job", "add", "bad\n", "--path", p);
        await Fails(ExitCode.InvalidInput, "already exists", "job", "add", "base", "--path", p);
        await Fails(ExitCode.InvalidInput, "unknown job 'nope'", "job", "show", "nope");
        await Fails(ExitCode.InvalidInput, "unknown job 'nope'", "job", "set", "nope", "--max-inc", "2");
        await Fails(ExitCode.InvalidInput, "unknown job 'nope'", "job", "enable", "nope");
        await Fails(ExitCode.InvalidInput, "unknown job 'nope'", "job", "rm", "nope");
        await Fails(ExitCode.InvalidInput, "unknown VM 'ghost'", "job", "attach", "base", "ghost");
        await Fails(ExitCode.ConfigError, "negative", "job", "set", "base", "--max-inc", "-5");
        await Fails(ExitCode.ConfigError, "invalid VM name", "vm", "add", "bad/vm", "x", "--no-check");
        await Fails(ExitCode.ConfigError, "invalid image name", "vm", "add", "vm1", "a/b/c", "--no-check");
        await Fails(ExitCode.InvalidInput, "does not exist on Ceph", "vm", "add", "vm1", "cbt-missing-" + TestEnv.Unique());
        await Fails(ExitCode.InvalidInput, "unknown VM", "vm", "rm", "ghost");
        await Fails(ExitCode.InvalidInput, "unknown VM", "vm", "list", "ghost");
    }

    [Fact]
    public async Task Set_enable_disable_and_the_mount_check_write_what_exec_reads()
    {
        var p = Path.Combine(_bed.Root, "t");
        await Ok("job", "add", "j", "--path", p, "--disabled", "--days", "1,3", "--weeks", "2");
        Assert.Equal(0, Convert.ToInt32((await OpsBed.RowsAsync(_bed, "SELECT enabled FROM backup_jobs"))[0][0]));
        await Ok("job", "enable", "j");
        await Ok("job", "set", "j", "--mode", "differential", "--mountpoint", _bed.Root, "--days", "all", "--max-snaps", "9", "--snap-prefix", "JJ");
        var row = (await OpsBed.RowsAsync(_bed, "SELECT enabled, `mode`, checkmount, mountpoint, `max-snaps`, `snap-prefix`, path FROM backup_jobs"))[0];
        Assert.Equal(new object?[] { 1, "differential", 1, _bed.Root, 9, "JJ", p }, row);
        Assert.Equal(0, await OpsBed.CountAsync(_bed, "backup_days"));
        Assert.Equal(new object?[] { 0, 1, 0, 0, 0 }, (await OpsBed.RowsAsync(_bed, "SELECT `1`, `2`, `3`, `4`, `5` FROM backup_weeks"))[0]);
        await Ok("job", "set", "j", "--mountpoint", "");
        Assert.Equal(new object?[] { 0, null }, (await OpsBed.RowsAsync(_bed, "SELECT checkmount, mountpoint FROM backup_jobs"))[0]);
        await Ok("job", "disable", "j");
        Assert.Equal(0, Convert.ToInt32((await OpsBed.RowsAsync(_bed, "SELECT enabled FROM backup_jobs"))[0][0]));
    }

    [Fact]
    public async Task Rm_with_restore_points_refuses_without_force_and_never_deletes_files_or_points()
    {
        var target = Path.Combine(_bed.Root, "target");
        var img = await OpsBed.ImageAsync(_bed);
        var other = "cbt-not-on-ceph-" + TestEnv.Unique();
        await Ok("vm", "add", "db01", img);
        await Ok("job", "add", "keep", "--path", target);
        await Ok("job", "attach", "keep", "db01");
        Assert.Equal(0, (await _cli.RunAsync("exec", "--job", "keep")).ExitCode);
        await Ok("vm", "add", "db01", other, "--no-check");
        var file = Path.Combine(target, "keep", "db01", img, "000001", "000000");
        Assert.True(File.Exists(file));

        await Fails(ExitCode.InvalidInput, "restore point", "job", "rm", "keep");
        await Fails(ExitCode.InvalidInput, "restore point", "vm", "rm", "db01");
        await Fails(ExitCode.InvalidInput, "restore point", "vm", "rm", "db01", img);
        await Fails(ExitCode.InvalidInput, "no image", "vm", "rm", "db01", "nosuchimage");

        var vms = JsonDocument.Parse((await Ok("vm", "list", "--json")).Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(2, vms.Count);
        Assert.Equal("keep", Assert.Single(vms.Single(v => v.GetProperty("image").GetString() == img).GetProperty("jobs").EnumerateArray()).GetString());
        Assert.Equal(0, vms.Single(v => v.GetProperty("image").GetString() == other).GetProperty("jobs").GetArrayLength());
        Assert.Equal(1, vms.Single(v => v.GetProperty("image").GetString() == img).GetProperty("points").GetInt32());

        // Detach + re-attach continues the chain instead of restarting at chain 1 (PHP trusts the counters).
        await Ok("vm", "rm", "db01", other);
        await Fails(ExitCode.InvalidInput, "already in job", "job", "attach", "keep", "db01");
        await Ok("job", "detach", "keep", "db01");
        Assert.Equal(0, await OpsBed.CountAsync(_bed, "backup_vms"));
        await Fails(ExitCode.InvalidInput, "not in job", "job", "detach", "keep", "db01");
        await Ok("job", "attach", "keep", "db01");
        Assert.Equal(new object?[] { 1, 0 }, (await OpsBed.RowsAsync(_bed, $"SELECT bv.`full`, bv.inc FROM backup_vms bv JOIN vms v USING (idvms) WHERE v.image = '{img}'"))[0]);

        Assert.Equal(1, await OpsBed.CountAsync(_bed, "vms"));
        var rm = await Ok("job", "rm", "keep", "--force");
        Assert.Contains("stay on disk", rm.Stdout);
        await Ok("vm", "rm", "db01", "--force");
        Assert.Equal(0, await OpsBed.CountAsync(_bed, "backup_jobs"));
        Assert.Equal(0, await OpsBed.CountAsync(_bed, "vms"));
        Assert.Equal(0, await OpsBed.CountAsync(_bed, "backup_vms"));
        Assert.Equal(1, await OpsBed.CountAsync(_bed, "cephbackup_points"));
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task A_database_whose_default_collation_is_not_the_servers_works_too()
    {
        // PHP-era tables take the database default collation, cephbackup_* tables the charset default:
        // a join across them fails with "Illegal mix of collations" (found by trying the tool).
        await using var db = await TestDatabase.CreateAsync();
        await db.ExecAsync($"ALTER DATABASE `{db.Name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        await Catalog.DbProbe.RunScriptAsync(db, Catalog.DbProbe.RepoFile("sql/php-original-dump.sql"));
        var cli = new CliRun(_bed.Root, db.ConnectionString, _bed.Smtp.Port);
        Assert.Equal(0, (await cli.RunAsync("db", "migrate")).ExitCode);
        var target = Path.Combine(_bed.Root, "unicode_ci");
        var img = await OpsBed.ImageAsync(_bed);
        foreach (var args in new[] { new[] { "vm", "add", "web01", img }, ["job", "add", "L1", "--path", target, "--max-inc", "2"], ["job", "attach", "L1", "web01"], ["exec"], ["job", "detach", "L1", "web01"], ["job", "attach", "L1", "web01"], ["status"], ["vm", "list"], ["job", "show", "L1"] })
        {
            var r = await cli.RunAsync(args);
            Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)} -> {r.ExitCode}: {r.Stderr}{r.Stdout}");
        }
        Assert.True(File.Exists(Path.Combine(target, "L1", "web01", img, "000001", "000000")));
    }

    [Fact]
    public async Task With_json_a_failure_is_a_json_error_object_naming_the_log_file_and_v_q_are_global()
    {
        var r = await _cli.RunAsync("job", "show", "nope", "--json");
        Assert.Equal((int)ExitCode.InvalidInput, r.ExitCode);
        var error = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("error");
        Assert.Equal(5, error.GetProperty("exitCode").GetInt32());
        Assert.Equal("unknown job 'nope'", error.GetProperty("message").GetString());
        Assert.Equal(Path.Combine(_cli.LogDir, "cb-YYYYMMDD.log"), error.GetProperty("logFile").GetString());
        Assert.Contains("unknown job 'nope'", _cli.AllLogs());
        Assert.Equal("", (await _cli.RunAsync("job", "show", "nope")).Stdout);

        Assert.Equal(0, (await _cli.RunAsync("-v", "job", "list")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("job", "list", "-q")).ExitCode);
        var help = await _cli.RunAsync("--help");
        Assert.Contains("Log file: ", help.Stdout);
        Assert.Contains("--verbose", help.Stdout);
        Assert.Contains("0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN", help.Stdout);
    }

    [Fact]
    public async Task Exec_json_is_the_outcome_of_every_job_and_image()
    {
        var img = await OpsBed.ImageAsync(_bed);
        await Ok("vm", "add", "web01", img);
        await Ok("job", "add", "J", "--path", Path.Combine(_bed.Root, "t"));
        await Ok("job", "attach", "J", "web01");
        var plan = JsonDocument.Parse((await Ok("exec", "--dry-run", "--json")).Stdout).RootElement;
        var planned = Assert.Single(Assert.Single(plan.GetProperty("jobs").EnumerateArray()).GetProperty("images").EnumerateArray());
        Assert.Equal(("planned", "000001-000000"), (planned.GetProperty("result").GetString(), planned.GetProperty("restorePoint").GetString()));
        Assert.Equal(0, await OpsBed.CountAsync(_bed, "cephbackup_points"));

        var run = JsonDocument.Parse((await Ok("exec", "--json")).Stdout).RootElement;
        Assert.Equal(0, run.GetProperty("exitCode").GetInt32());
        var job = Assert.Single(run.GetProperty("jobs").EnumerateArray());
        Assert.Equal(("J", "success"), (job.GetProperty("jobName").GetString(), job.GetProperty("result").GetString()));
        var image = Assert.Single(job.GetProperty("images").EnumerateArray());
        Assert.Equal((img, "success", "000001-000000"), (image.GetProperty("image").GetString(), image.GetProperty("result").GetString(), image.GetProperty("restorePoint").GetString()));
        var point = Assert.Single(await _bed.Catalog.GetPointsAsync(null, null, img, CancellationToken.None));
        Assert.Equal(point.SizeBytes, image.GetProperty("sizeBytes").GetInt64());
    }
}
