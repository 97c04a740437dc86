using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

/// <summary>
/// Issue #11.1: a real SIGINT (to the whole process group, as a terminal's Ctrl-C) or SIGTERM (to the process,
/// as systemd or kill) sent to a real cephbackup in each phase leaves no half-made image or snapshot.
/// </summary>
public class RestoreSignalTests : RestoreBed
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(60);
    // Well below the 30 s a killed import's lock would hold a cleanup that does not break it.
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(150);

    private static Func<string[], bool> Rbd(string verb, string image) => Rbd([verb], image);

    private static Func<string[], bool> Rbd(string[] verbs, string image) =>
        argv => argv.Length > 0 && Path.GetFileName(argv[0]) == "rbd" && verbs.Any(argv.Contains) && argv.Any(a => a.EndsWith("/" + image, StringComparison.Ordinal));

    [Theory]
    [InlineData(CliChild.SigInt, true)]
    [InlineData(CliChild.SigTerm, false)]
    public async Task A_signal_while_importing_removes_the_partial_image_and_says_so(int signal, bool group)
    {
        var img = await BigBackedUpImageAsync("SI", dataMiB: 384);
        var name = NewName();
        using var child = CliChild.Start(ConfigPath, "restore", "SI", img, "000001-000000", name);
        Assert.True(await child.WaitForChildAsync(Rbd("import-diff", name), Phase), $"the import was not seen; {await child.StateAsync()}");
        child.Signal(signal, group);
        var r = await child.WaitAsync(Exit);

        Assert.True(r.ExitCode == (int)ExitCode.Cancelled, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains($"the partial image {Spec(name)} was removed", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));
    }

    [Fact]
    public async Task A_second_ctrl_c_during_the_cleanup_does_not_stop_the_cleanup()
    {
        var img = await BigBackedUpImageAsync("SC", dataMiB: 384);
        var name = NewName();
        using var child = CliChild.Start(ConfigPath, "restore", "SC", img, "000001-000000", name);
        Assert.True(await child.WaitForChildAsync(Rbd("import-diff", name), Phase), $"the import was not seen; {await child.StateAsync()}");
        child.Signal(CliChild.SigInt, group: true);
        // Any rbd call of the cleanup (lock ls / lock rm / snap purge / rm); the second Ctrl-C reaches it too (same process group).
        Assert.True(await child.WaitForChildAsync(Rbd(["lock", "purge", "rm"], name), Phase), $"the cleanup was not seen; {await child.StateAsync()}");
        child.Signal(CliChild.SigInt, group: true);
        var r = await child.WaitAsync(Exit);

        Assert.True(r.ExitCode == (int)ExitCode.Cancelled, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains($"the partial image {Spec(name)} was removed", r.Stderr);
        Assert.False(await ExistsAsync(Spec(name)));
    }

    [Fact]
    public async Task A_signal_while_checking_with_verify_first_creates_nothing()
    {
        var img = await BigBackedUpImageAsync("SV", dataMiB: 512);
        var file = (await PointsAsync(img))[0].FilePath;
        var name = NewName();
        using var child = CliChild.Start(ConfigPath, "restore", "SV", img, "000001-000000", name, "--verify-first");
        Assert.True(await child.WaitForOpenFileAsync(file, Phase), $"the check was not seen; {await child.StateAsync()}");
        child.Signal(CliChild.SigInt, group: true);
        var r = await child.WaitAsync(Exit);

        Assert.True(r.ExitCode == (int)ExitCode.Cancelled, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.False(await ExistsAsync(Spec(name)));
        Assert.DoesNotContain($"Restoring", Logs());
    }

    [Fact]
    public async Task A_signal_during_verify_deep_removes_the_scratch_image()
    {
        var img = await BigBackedUpImageAsync("SD", dataMiB: 384);
        using var child = CliChild.Start(ConfigPath, "verify", "--job", "SD", "--deep");
        Assert.True(await child.WaitForChildAsync(argv => argv.Contains("import-diff") && argv.Any(a => a.Contains(img + "-verify-")), Phase),
            $"the deep import was not seen; {await child.StateAsync()}");
        child.Signal(CliChild.SigTerm, group: false);
        var r = await child.WaitAsync(Exit);

        Assert.True(r.ExitCode == (int)ExitCode.Cancelled, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.DoesNotContain(img + "-verify-", await TestRbd.RunAsync("ls", "-p", TestEnv.Pool));
        Assert.Contains("was removed", r.Stderr);
    }
}

public class RestoreVmSignalTests : RestoreBed
{
    [Fact]
    public async Task Ctrl_c_during_a_vm_restore_leaves_none_of_its_disks()
    {
        var id = await Bed.AddJobAsync("SVM", maxInc: 5);
        var a = await BigBackedUpImageAsync("SVM", dataMiB: 256, vm: "vm-S", jobId: id);
        var b = await BigBackedUpImageAsync("SVM", dataMiB: 256, vm: "vm-S", jobId: id);
        Assert.Equal(ExitCode.Ok, (await Bed.ExecAsync("SVM")).ExitCode);
        var suffix = "-r" + TestEnv.Unique();
        Bed.Images.Add(a + suffix);
        Bed.Images.Add(b + suffix);
        using var child = CliChild.Start(ConfigPath, "restore-vm", "SVM", "vm-S", "000001-000000", "--suffix", suffix);
        Assert.True(await child.WaitForChildAsync(argv => argv.Contains("import-diff") && argv.Any(x => x.EndsWith(suffix, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60)), $"the import was not seen; {await child.StateAsync()}");
        child.Signal(CliChild.SigInt, group: true);
        var r = await child.WaitAsync(TimeSpan.FromSeconds(150));

        Assert.True(r.ExitCode == (int)ExitCode.Cancelled, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.False(await ExistsAsync(Spec(a + suffix)));
        Assert.False(await ExistsAsync(Spec(b + suffix)));
    }
}
