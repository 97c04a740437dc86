using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Property;

/// <summary>Defects the property test found, each pinned by a small scenario of its own.</summary>
public class PropertyRegressionTests : BedTest
{
    /// <summary>
    /// Only the newest file of an incremental chain was re-hashed after a write: a changed byte in an older
    /// one let exec append increments that can never be restored (restore refuses the chain).
    /// </summary>
    [Fact]
    public async Task A_changed_older_file_of_an_incremental_chain_starts_a_new_chain_instead_of_extending_it()
    {
        var job = await _bed.AddJobAsync("RG1", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "vmr1");
        for (var run = 0; run < 3; run++)
        {
            if (run > 0) await BackupBed.ChangeAsync(img);
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        }
        var middle = (await PointsAsync(img))[1];
        await using (var f = new FileStream(middle.FilePath, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = f.Length / 2;
            var b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0xff));
        }
        await BackupBed.ChangeAsync(img);

        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var newest = (await PointsAsync(img))[^1];
        Assert.Equal("000002-000000", newest.RestorePoint);
        var mail = (await _bed.Smtp.WaitForMessagesAsync(4, TimeSpan.FromSeconds(10)))[3].Message.TextBody;
        Assert.Contains($"{middle.FilePath} does not match its recorded sha256", mail);
        Assert.Equal(await TestRbd.Sha256Async($"{TestEnv.Pool}/{img}@{newest.Snapshot}"), await _bed.RestoreByHandAsync([newest]));
    }
}
