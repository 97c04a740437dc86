using System.Runtime.ExceptionServices;
using CephBackup.Core.Catalog;

namespace CephBackup.Tests.Catalog;

/// <summary>The lease's background renewal, over fake renew/release calls.</summary>
public sealed class LeaseTests
{
    [Fact]
    public async Task Disposing_stops_the_renewal_loop_without_an_exception_and_releases_once()
    {
        // Every exec ends by disposing its lease: a first exception there cost each cold run tens of milliseconds
        // (the runtime loaded the stack-trace machinery and the PDB).
        var releases = 0;
        var lease = new Lease(_ => Task.FromResult(true), () => { Interlocked.Increment(ref releases); return Task.CompletedTask; },
            leaseSeconds: 30, TimeProvider.System);
        var token = lease.StopToken;
        var thrown = 0;
        void Seen(object? _, FirstChanceExceptionEventArgs a)
        {
            if (a.Exception is OperationCanceledException oce && oce.CancellationToken == token) Interlocked.Increment(ref thrown);
        }
        AppDomain.CurrentDomain.FirstChanceException += Seen;
        try
        {
            await Task.Delay(50); // the loop is waiting for its first tick
            await lease.DisposeAsync();
            await lease.DisposeAsync();
        }
        finally { AppDomain.CurrentDomain.FirstChanceException -= Seen; }
        Assert.Equal(0, thrown);
        Assert.Equal(1, releases);
        Assert.False(await lease.StillHeldAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Disposing_before_the_renewal_loop_first_ran_throws_nothing()
    {
        // The loop starts on the thread pool: on a busy machine DisposeAsync can come first (seen once in a
        // full unit run); its first wait then saw a cancelled token and threw.
        var tokens = new HashSet<CancellationToken>();
        var thrown = 0;
        void Seen(object? _, FirstChanceExceptionEventArgs a)
        {
            if (a.Exception is OperationCanceledException oce) lock (tokens) if (tokens.Contains(oce.CancellationToken)) Interlocked.Increment(ref thrown);
        }
        AppDomain.CurrentDomain.FirstChanceException += Seen;
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var lease = new Lease(_ => Task.FromResult(true), () => Task.CompletedTask, leaseSeconds: 30, TimeProvider.System);
                lock (tokens) tokens.Add(lease.StopToken);
                await lease.DisposeAsync();
            }
        }
        finally { AppDomain.CurrentDomain.FirstChanceException -= Seen; }
        Assert.Equal(0, thrown);
    }
}
