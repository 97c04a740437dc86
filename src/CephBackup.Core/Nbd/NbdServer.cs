using System.Net.Sockets;
using Serilog;

namespace CephBackup.Core.Nbd;

/// <summary>
/// Serves one read-only export to any number of clients at once, each connection on its own task with
/// its own file handles, until cancelled. Every connection's end is logged with its reason.
/// </summary>
public sealed class NbdServer(NbdExport export, ILogger log)
{
    private int _connections;

    /// <summary>Connections served so far (for tests and the closing log line).</summary>
    public int Connections => _connections;

    /// <summary>Accepts until <paramref name="ct"/> is cancelled, then closes the connections and returns.</summary>
    public async Task ServeAsync(Socket listener, CancellationToken ct)
    {
        var sessions = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                Socket client;
                try { client = await listener.AcceptAsync(ct); }
                catch (OperationCanceledException) { break; }
                var id = Interlocked.Increment(ref _connections);
                lock (sessions)
                {
                    sessions.RemoveAll(t => t.IsCompleted);
                    sessions.Add(Task.Run(() => ServeClientAsync(client, id, ct), CancellationToken.None));
                }
            }
        }
        finally
        {
            Task[] running;
            lock (sessions) running = [.. sessions];
            await Task.WhenAll(running);
        }
    }

    /// <summary>One connection, from handshake to disconnect; never throws.</summary>
    public async Task ServeClientAsync(Socket client, int id, CancellationToken ct)
    {
        await using var stream = new NetworkStream(client, ownsSocket: true);
        await ServeStreamAsync(stream, id, ct);
    }

    /// <summary>The protocol over any duplex stream (a socket, or a fake one in tests); never throws.</summary>
    public async Task ServeStreamAsync(Stream stream, int id, CancellationToken ct)
    {
        try
        {
            var session = await new NbdNegotiation(stream, export).RunAsync(ct);
            if (session is null)
            {
                log.Debug("NBD connection {Id}: ended during the handshake", id);
                return;
            }
            log.Debug("NBD connection {Id}: serving {Export} (structured replies {Structured}, block status {Allocation})",
                id, export.Name, session.Structured, session.Allocation);
            using var transmission = new NbdTransmission(stream, export, session);
            await transmission.RunAsync(ct);
            log.Debug("NBD connection {Id}: disconnected", id);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            log.Debug("NBD connection {Id}: closed at shutdown", id);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SocketException or ObjectDisposedException)
        {
            log.Warning("NBD connection {Id}: closed: {Error}", id, e.Message);
        }
    }
}
