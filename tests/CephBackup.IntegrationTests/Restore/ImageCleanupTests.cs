using System.Diagnostics;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

public class ImageCleanupTests : RestoreBed
{
    [Fact]
    public async Task The_lock_of_a_killed_import_is_broken_so_the_image_goes_at_once_instead_of_after_the_watch_timeout()
    {
        var img = await BigBackedUpImageAsync("LK", dataMiB: 256);
        var file = (await PointsAsync(img))[0].FilePath;
        var name = NewName();
        await TestRbd.RunAsync("create", "--size", "512M", Spec(name));
        // A plain rbd import, SIGKILLed in the middle: its exclusive lock stays until the OSD times its watch out.
        var psi = new ProcessStartInfo("rbd") { RedirectStandardError = true };
        foreach (var a in new[] { "-c", TestEnv.CephConf, "import-diff", "--no-progress", file, Spec(name) }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            var sw = Stopwatch.StartNew();
            while (!(await TestRbd.RunAsync("lock", "ls", "--format", "json", Spec(name))).Contains("auto") && sw.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(20);
            p.Kill();
            await p.WaitForExitAsync();
        }
        Assert.Contains("auto", await TestRbd.RunAsync("lock", "ls", "--format", "json", Spec(name)));

        var took = Stopwatch.StartNew();
        var r = await new ImageCleanup(Bed.Rbd, TimeProvider.System, Bed.Log).RemoveAsync(new ImageRef(TestEnv.Pool, name), "partial image");
        took.Stop();
        Assert.True(r.Removed, r.Message);
        Assert.False(await ExistsAsync(Spec(name)));
        Assert.Contains("Broke lock \"auto", Bed.LogText.ToString());
        // Not a performance assertion: without breaking the lock, rbd rm waits for the ~30 s watch timeout.
        Assert.True(took.Elapsed < TimeSpan.FromSeconds(20), $"took {took.Elapsed}");
    }

    [Fact]
    public async Task A_cleanup_that_cannot_finish_says_what_is_left_and_how_to_remove_it()
    {
        var deadConf = Path.Combine(Dir, "dead.conf");
        var conf = await File.ReadAllTextAsync(TestEnv.CephConf);
        await File.WriteAllTextAsync(deadConf, System.Text.RegularExpressions.Regex.Replace(conf, @"mon host = .*", "mon host = [v2:127.0.0.1:1,v1:127.0.0.1:2]"));
        var dead = new RbdCli(new ProcessRunner(), Bed.Ceph with { ConfFile = deadConf, TimeoutSeconds = 2 });
        var image = new ImageRef(TestEnv.Pool, "cbt-left-" + TestEnv.Unique());

        var r = await new ImageCleanup(dead, TimeProvider.System, Bed.Log, TimeSpan.FromSeconds(5)).RemoveAsync(image, "partial image");
        Assert.False(r.Removed);
        Assert.Contains($"the partial image {image} could NOT be removed", r.Message);
        Assert.Contains($"Left behind: image {image}", r.Message);
        Assert.Contains($"rbd snap purge {image} && rbd rm {image}", r.Message);
    }
}
