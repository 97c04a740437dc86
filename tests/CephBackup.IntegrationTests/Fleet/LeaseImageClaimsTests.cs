using CephBackup.Core.Catalog;
using CephBackup.IntegrationTests.Catalog;

namespace CephBackup.IntegrationTests.Fleet;

/// <summary>Image claims on the single test server (the Galera behaviour is in <see cref="FleetTests"/>).</summary>
public sealed class LeaseImageClaimsTests : MigratedDatabaseTest
{
    private const string Run = "day:2024-06-01";
    private LeaseImageClaims Worker(string host) => new(Db.ConnectionString, host, 1);

    [Fact]
    public async Task A_vm_is_claimed_all_or_none_and_a_done_image_is_skipped_for_the_rest_of_the_run()
    {
        var w1 = Worker("host-a");
        var w2 = Worker("host-b");
        var first = await w1.TryClaimAsync(7, ["rbd/a", "rbd/b"], Run, default);
        Assert.NotNull(first.Claim);
        Assert.Equal(["rbd/a", "rbd/b"], first.Claim.Images);

        // One disk of the VM held elsewhere: nothing is claimed, and the holder is named.
        var refused = await w2.TryClaimAsync(7, ["rbd/b", "rbd/c"], Run, default);
        Assert.Null(refused.Claim);
        Assert.Equal("host-a", refused.HeldBy!.Host);
        var c = await w2.TryClaimAsync(7, ["rbd/c"], Run, default);
        Assert.NotNull(c.Claim); // rbd/c was not left claimed by the refused attempt
        await c.Claim.DisposeAsync();

        await first.Claim.MarkDoneAsync("rbd/a", default);
        Assert.True(await first.Claim.StillHeldAsync(default)); // b is still open and ours
        await first.Claim.DisposeAsync();                        // b released, not done

        var again = await w2.TryClaimAsync(7, ["rbd/a", "rbd/b"], Run, default);
        Assert.Equal(["rbd/a"], again.AlreadyDone);
        Assert.Equal(["rbd/b"], again.Claim!.Images);
        await again.Claim.MarkDoneAsync("rbd/b", default);
        await again.Claim.DisposeAsync();

        var rest = await w1.TryClaimAsync(7, ["rbd/a", "rbd/b"], Run, default);
        Assert.Null(rest.Claim);
        Assert.Null(rest.HeldBy);
        Assert.Equal(["rbd/a", "rbd/b"], rest.AlreadyDone);

        // The next day is a new run; another job's claim of the same image is its own.
        var tomorrow = await w1.TryClaimAsync(7, ["rbd/a"], "day:2024-06-02", default);
        Assert.Equal(["rbd/a"], tomorrow.Claim!.Images);
        var otherJob = await w2.TryClaimAsync(8, ["rbd/a"], Run, default);
        Assert.Equal(["rbd/a"], otherJob.Claim!.Images);
        await tomorrow.Claim.DisposeAsync();
        await otherJob.Claim.DisposeAsync();
    }

    [Fact]
    public async Task A_claim_taken_over_after_expiry_fails_the_fencing_check_and_cannot_be_marked_done()
    {
        var dead = await new LeaseImageClaims(Db.ConnectionString, "host-a", 1, leaseSeconds: 1).TryClaimAsync(7, ["rbd/a"], Run, default);
        Assert.NotNull(dead.Claim);
        await Db.ExecAsync("UPDATE cephbackup_leases SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE kind = 'image'");
        var taker = await Worker("host-b").TryClaimAsync(7, ["rbd/a"], Run, default);
        Assert.NotNull(taker.Claim);

        Assert.False(await dead.Claim.StillHeldAsync(default));
        await Assert.ThrowsAsync<Core.CephBackupException>(() => dead.Claim.MarkDoneAsync("rbd/a", default));
        await dead.Claim.DisposeAsync(); // must not release the taker's claim
        Assert.True(await taker.Claim.StillHeldAsync(default));
        await taker.Claim.DisposeAsync();
        Assert.Equal("0", (await DbProbe.LinesAsync(Db, "SELECT COUNT(*) FROM cephbackup_leases WHERE done_at IS NOT NULL")).Trim());
    }
}
