using CephBackup.Core;
using CephBackup.Core.Ceph;

namespace CephBackup.Tests.Ceph;

public class RbdCliTests
{
    private sealed class FakeRunner(Func<ProcessSpec, ProcessResult>? respond = null) : IProcessRunner
    {
        public List<ProcessSpec> Specs { get; } = [];

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct)
        {
            Specs.Add(spec);
            return Task.FromResult(respond?.Invoke(spec) ?? Ok(""));
        }
    }

    private static ProcessResult Ok(string stdout) => new(0, stdout, "", TimeSpan.Zero, false);
    private static ProcessResult Fail(int code, string stderr) => new(code, "", stderr, TimeSpan.Zero, false);

    private static readonly CephOptions Full = new()
    {
        ConfFile = "/etc/ceph/x.conf", ClientId = "backup", Keyring = "/etc/ceph/k", RbdPath = "/usr/bin/rbd", TimeoutSeconds = 7,
    };

    private static readonly ImageRef Img = new("rbd", "vm1");

    /// <summary>Every rbd call, paired with the argv tail it must produce.</summary>
    public static TheoryData<string, string[]> Calls => new()
    {
        { "info", ["info", "--format", "json", "rbd/vm1"] },
        { "create", ["create", "--size", "1073741825B", "rbd/vm1"] },
        { "ls", ["ls", "--format", "json", "-p", "rbd"] },
        { "snap create", ["snap", "create", "--no-progress", "rbd/vm1@s1"] },
        { "snap ls", ["snap", "ls", "--format", "json", "rbd/vm1"] },
        { "snap rm", ["snap", "rm", "--no-progress", "rbd/vm1@s1"] },
        { "snap rename", ["snap", "rename", "rbd/vm1@s1", "rbd/vm1@s2"] },
        { "snap rollback", ["snap", "rollback", "--no-progress", "rbd/vm1@s1"] },
        { "export-diff full", ["export-diff", "--no-progress", "rbd/vm1@s1", "-"] },
        { "export-diff inc", ["export-diff", "--no-progress", "--from-snap", "s0", "rbd/vm1@s1", "-"] },
        { "import-diff", ["import-diff", "--no-progress", "/dev/stdin", "rbd/vm1"] },
        { "export head", ["export", "--no-progress", "rbd/vm1", "-"] },
        { "export snap", ["export", "--no-progress", "rbd/vm1@s1", "-"] },
    };

    private static Task Invoke(IRbd rbd, string call) => call switch
    {
        "info" => rbd.InfoAsync(Img, default),
        "create" => rbd.CreateAsync(Img, 1073741825, default),
        "ls" => rbd.ListImagesAsync("rbd", default),
        "snap create" => rbd.SnapCreateAsync(Img, "s1", default),
        "snap ls" => rbd.SnapListAsync(Img, default),
        "snap rm" => rbd.SnapRemoveAsync(Img, "s1", default),
        "snap rename" => rbd.SnapRenameAsync(Img, "s1", "s2", default),
        "snap rollback" => rbd.SnapRollbackAsync(Img, "s1", default),
        "export-diff full" => rbd.ExportDiffAsync(Img, "s1", null, Stream.Null, default),
        "export-diff inc" => rbd.ExportDiffAsync(Img, "s1", "s0", Stream.Null, default),
        "import-diff" => rbd.ImportDiffAsync(Img, Stream.Null, default),
        "export head" => rbd.ExportAsync(Img, null, Stream.Null, default),
        "export snap" => rbd.ExportAsync(Img, "s1", Stream.Null, default),
        _ => throw new ArgumentOutOfRangeException(nameof(call)),
    };

    private static string Respond(ProcessSpec spec) =>
        spec.Arguments.Contains("info") ? """{"name":"vm1","size":1,"snapshot_count":0,"features":[]}"""
        : spec.Arguments.Contains("--format") ? "[]" : "";

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Every_call_runs_rbd_directly_with_common_arguments_and_utc(string call, string[] tail)
    {
        var runner = new FakeRunner(s => Ok(Respond(s)));
        await Invoke(new RbdCli(runner, Full), call);

        var spec = Assert.Single(runner.Specs);
        Assert.Equal("/usr/bin/rbd", spec.FileName);
        string[] common = ["-c", "/etc/ceph/x.conf", "--id", "backup", "--keyring", "/etc/ceph/k",
            "--rados-osd-op-timeout", "7", "--client-mount-timeout", "7"];
        Assert.Equal([.. common, .. tail], spec.Arguments);
        Assert.Equal("UTC", spec.Environment["TZ"]);
    }

    [Theory]
    [InlineData("info", true)]
    [InlineData("create", true)]
    [InlineData("ls", true)]
    [InlineData("snap create", true)]
    [InlineData("snap ls", true)]
    [InlineData("snap rm", true)]
    [InlineData("snap rename", true)]
    [InlineData("snap rollback", false)]
    [InlineData("export-diff full", false)]
    [InlineData("import-diff", false)]
    [InlineData("export snap", false)]
    public async Task Metadata_calls_have_a_deadline_and_data_calls_rely_on_librados_and_cancellation(string call, bool hasDeadline)
    {
        var runner = new FakeRunner(s => Ok(Respond(s)));
        await Invoke(new RbdCli(runner, Full), call);

        Assert.Equal(hasDeadline ? TimeSpan.FromSeconds(7 * 2 + 15) : null, Assert.Single(runner.Specs).Timeout);
    }

    [Fact]
    public async Task Streams_are_handed_to_the_runner()
    {
        var runner = new FakeRunner();
        var rbd = new RbdCli(runner, Full);
        var sink = new MemoryStream();
        var source = new MemoryStream([1, 2, 3]);

        await rbd.ExportDiffAsync(Img, "s1", null, sink, default);
        await rbd.ImportDiffAsync(Img, source, default);
        await rbd.ExportAsync(Img, null, sink, default);

        Assert.Same(sink, runner.Specs[2].StdoutSink);
        Assert.Same(sink, runner.Specs[0].StdoutSink);
        Assert.Null(runner.Specs[0].StdinSource);
        Assert.Same(source, runner.Specs[1].StdinSource);
        Assert.Null(runner.Specs[1].StdoutSink);
    }

    [Fact]
    public async Task Optional_settings_are_left_out()
    {
        var runner = new FakeRunner();
        await new RbdCli(runner, new CephOptions()).SnapRemoveAsync(Img, "s1", default);

        var spec = Assert.Single(runner.Specs);
        Assert.Equal("rbd", spec.FileName);
        Assert.Equal(["--rados-osd-op-timeout", "60", "--client-mount-timeout", "60", "snap", "rm", "--no-progress", "rbd/vm1@s1"],
            spec.Arguments);
    }

    [Fact]
    public async Task Non_zero_exit_becomes_RbdException_with_stderr()
    {
        var runner = new FakeRunner(_ => Fail(2, "something\nrbd: failed to remove snapshot: (2) No such file or directory\n"));
        var e = await Assert.ThrowsAsync<RbdException>(() => new RbdCli(runner, Full).SnapRemoveAsync(Img, "s1", default));

        Assert.Equal(2, e.RbdExitCode);
        Assert.True(e.IsNotFound);
        Assert.Equal(ExitCode.CephError, e.Code);
        Assert.Equal("rbd snap rm failed (2): rbd: failed to remove snapshot: (2) No such file or directory", e.Message);
    }

    [Fact]
    public async Task Timeout_becomes_RbdException_110_naming_the_deadline()
    {
        var runner = new FakeRunner(_ => new ProcessResult(-1, "", "monclient(hunting): still hunting", TimeSpan.FromSeconds(29), true));
        var e = await Assert.ThrowsAsync<RbdException>(() => new RbdCli(runner, Full).ListImagesAsync("rbd", default));

        Assert.True(e.IsTimeout);
        Assert.Contains("timed out after 29 s", e.Message);
        Assert.Contains("still hunting", e.StderrTail);
    }

    [Fact]
    public async Task Info_of_missing_image_is_null_and_exists_is_false()
    {
        var runner = new FakeRunner(_ => Fail(2, "rbd: error opening image vm1: (2) No such file or directory"));
        var rbd = new RbdCli(runner, Full);

        Assert.Null(await rbd.InfoAsync(Img, default));
        Assert.False(await rbd.ExistsAsync(Img, default));
    }

    [Fact]
    public async Task Remove_purges_snapshots_then_removes_and_accepts_a_missing_image()
    {
        var runner = new FakeRunner();
        await new RbdCli(runner, Full).RemoveAsync(Img, default);
        Assert.Equal([["snap", "purge", "--no-progress", "rbd/vm1"], ["rm", "--no-progress", "rbd/vm1"]],
            runner.Specs.Select(s => s.Arguments.Skip(10).ToArray()));

        var missing = new FakeRunner(_ => Fail(2, "rbd: error opening image vm1: (2) No such file or directory"));
        await new RbdCli(missing, Full).RemoveAsync(Img, default);
        Assert.Single(missing.Specs);
    }

    [Fact]
    public async Task Remove_reports_other_failures()
    {
        var runner = new FakeRunner(s => s.Arguments.Contains("rm") ? Fail(16, "rbd: error: image still has watchers") : Ok(""));
        var e = await Assert.ThrowsAsync<RbdException>(() => new RbdCli(runner, Full).RemoveAsync(Img, default));
        Assert.Equal(16, e.RbdExitCode);
    }

    [Theory]
    [InlineData("rbd", "-vm1", "s1")]
    [InlineData("rbd", "vm1", "--all")]
    [InlineData("../etc", "vm1", "s1")]
    [InlineData("rbd", "vm 1", "s1")]
    public async Task Hostile_names_never_reach_the_runner(string pool, string image, string snap)
    {
        var runner = new FakeRunner();
        var e = await Assert.ThrowsAsync<CephBackupException>(() => new RbdCli(runner, Full).SnapCreateAsync(new ImageRef(pool, image), snap, default));
        Assert.Equal(ExitCode.InvalidInput, e.Code);
        Assert.Empty(runner.Specs);
    }

    [Fact]
    public async Task Hostile_from_snapshot_never_reaches_the_runner()
    {
        var runner = new FakeRunner();
        await Assert.ThrowsAsync<CephBackupException>(() => new RbdCli(runner, Full).ExportDiffAsync(Img, "s1", "-x", Stream.Null, default));
        Assert.Empty(runner.Specs);
    }
}
