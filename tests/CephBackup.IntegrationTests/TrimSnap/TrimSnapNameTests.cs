using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.TrimSnap;

/// <summary>Issue #11.6: a user's snapshot named with non-ASCII digits must not abort trimsnap.</summary>
public class TrimSnapNameTests : BedTest
{
    [Fact]
    public async Task A_snapshot_named_with_arabic_indic_digits_is_kept_and_the_run_goes_on()
    {
        var job = await _bed.AddJobAsync("JN", maxInc: 10, prefix: "BK", maxSnaps: 1);
        var img = await _bed.AddImageAsync(job, "n01");
        for (var i = 0; i < 3; i++)
        {
            if (i > 0) await BackupBed.ChangeAsync(img);
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        }
        const string user = "BK-٠٠٠٠٠١-٠٠٠٠٠٠";
        await TestRbd.RunAsync("snap", "create", "--no-progress", $"{TestEnv.Pool}/{img}@{user}");

        var svc = new TrimSnapService(_bed.Catalog, new Core.Catalog.MySqlJobLockProvider(_bed.Db.ConnectionString), _bed.Rbd, _bed.Ceph,
            TimeProvider.System, new HostIdentity("testhost", Environment.ProcessId), _bed.Log);
        var output = new StringWriter();
        var outcome = await svc.RunAsync(new TrimSnapRequest(), output, CancellationToken.None);

        Assert.True(outcome.ExitCode == ExitCode.Ok, output.ToString());
        var snaps = await TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{img}");
        Assert.Contains(user, System.Text.Json.JsonDocument.Parse(snaps).RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.DoesNotContain("BK-000001-000000", snaps);
        Assert.Contains("BK-000001-000002", snaps);
    }
}
