using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace CephBackup.Core.Nbd;

/// <summary>
/// The transmission phase of one connection. Up to <see cref="InFlight"/> READs run at once (clients such
/// as nbdcopy keep many requests in flight, and a cold read at queue depth 1 leaves the disk idle between
/// requests); replies may leave out of order, as the protocol allows, each written whole under one lock.
/// Reads of holes and zeroes go out as OFFSET_HOLE chunks when structured replies were negotiated.
/// </summary>
internal sealed class NbdTransmission(Stream s, NbdExport export, NegotiatedSession session) : IDisposable
{
    private const int RequestLength = 28;
    private const int InFlight = 8;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _slots = new(InFlight, InFlight);
    // Readers are not thread-safe: each running READ takes one (they hold the open file handles).
    private readonly ConcurrentBag<ChainReader> _readers = [];
    private readonly List<Task> _running = [];
    private Exception? _failed;
    /// <summary>Block status descriptors per reply; clients ask again for the rest.</summary>
    private const int MaxDescriptors = 64 * 1024;

    private long Size => export.Image.Size;

    /// <summary>Serves requests until the client disconnects; a protocol violation ends the connection.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await ServeRequestsAsync(ct);
        }
        finally
        {
            // DISC, end of stream or an error: the reads already accepted are answered (or fail) first.
            await Task.WhenAll(_running.ToArray()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (_failed is not null) throw new IOException(_failed.Message, _failed);
    }

    private async Task ServeRequestsAsync(CancellationToken ct)
    {
        var head = new byte[RequestLength];
        while (_failed is null)
        {
            if (!await TryReadRequestAsync(head, ct)) return;
            if (BinaryPrimitives.ReadUInt32BigEndian(head) != Nbd.RequestMagic) throw new InvalidDataException("bad request magic");
            var flags = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(4));
            var type = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(6));
            var cookie = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(8));
            var offset = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(16));
            var length = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(24));
            switch (type)
            {
                case Nbd.CmdRead:
                    await _slots.WaitAsync(ct);
                    _running.RemoveAll(t => t.IsCompleted);
                    _running.Add(Task.Run(() => ReadInSlotAsync(cookie, flags, offset, length, ct), CancellationToken.None));
                    break;
                case Nbd.CmdWrite:
                    // The payload follows the request whatever we answer; it must be consumed to stay in step.
                    if (length > Nbd.MaxPayload) throw new InvalidDataException($"write of {length} bytes");
                    await DiscardAsync((int)length, ct);
                    await ErrorAsync(cookie, Nbd.EPerm, "read-only export: a backup is never written", ct);
                    break;
                case Nbd.CmdTrim or Nbd.CmdWriteZeroes:
                    await ErrorAsync(cookie, Nbd.EPerm, "read-only export: a backup is never written", ct);
                    break;
                case Nbd.CmdFlush:
                    await SimpleReplyAsync(cookie, 0, ct); // nothing is ever written, so everything is on disk
                    break;
                case Nbd.CmdDisc:
                    return;
                case Nbd.CmdBlockStatus:
                    await BlockStatusAsync(cookie, flags, offset, length, ct);
                    break;
                default:
                    await ErrorAsync(cookie, type == Nbd.CmdCache ? Nbd.ENotSup : Nbd.EInval, $"command {type} is not supported", ct);
                    break;
            }
        }
    }

    private async Task<bool> TryReadRequestAsync(byte[] head, CancellationToken ct)
    {
        // A client that closes between requests (instead of sending DISC) is not an error.
        var n = await s.ReadAtLeastAsync(head, 1, throwOnEndOfStream: false, ct);
        if (n == 0) return false;
        if (n < head.Length) await s.ReadExactlyAsync(head.AsMemory(n), ct);
        return true;
    }

    private bool InBounds(ulong offset, uint length) => offset <= (ulong)Size && length <= (ulong)Size - offset;

    private async Task ReadInSlotAsync(ulong cookie, ushort flags, ulong offset, uint length, CancellationToken ct)
    {
        var reader = _readers.TryTake(out var r) ? r : export.Image.OpenReader();
        try
        {
            await ReadAsync(reader, cookie, flags, offset, length, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The connection is broken (or shutting down); the request loop stops at its next turn.
            Interlocked.CompareExchange(ref _failed, e, null);
        }
        finally
        {
            _readers.Add(reader);
            _slots.Release();
        }
    }

    private async Task ReadAsync(ChainReader reader, ulong cookie, ushort flags, ulong offset, uint length, CancellationToken ct)
    {
        if (!InBounds(offset, length) || length > Nbd.MaxPayload)
        {
            await ErrorAsync(cookie, Nbd.EInval, $"read of {length} bytes at {offset} is outside the export (size {Size}) or too large", ct);
            return;
        }
        var segments = ReadPlan.For(export.Image.Index, (long)offset, length, holes: session.Structured && (flags & Nbd.CmdFlagDf) == 0);
        var total = session.Structured ? Math.Max(20, segments.Sum(g => g.WireBytes)) : 16 + (long)length;
        var buf = ArrayPool<byte>.Shared.Rent((int)total);
        try
        {
            int n;
            try
            {
                n = session.Structured ? FillStructured(reader, buf, cookie, segments) : FillSimple(reader, buf, cookie, (long)offset, (int)length);
            }
            catch (IOException e)
            {
                // Found before a byte of the reply went out, so the client sees a clean EIO.
                await ErrorAsync(cookie, Nbd.EIo, e.Message, ct);
                return;
            }
            await SendAsync(buf.AsMemory(0, n), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    private static int FillSimple(ChainReader reader, byte[] buf, ulong cookie, long offset, int length)
    {
        reader.Read(offset, buf.AsSpan(16, length));
        WriteSimpleHeader(buf, cookie, 0);
        return 16 + length;
    }

    private static int FillStructured(ChainReader reader, byte[] buf, ulong cookie, IReadOnlyList<ReadPlan.Segment> segments)
    {
        if (segments.Count == 0)
        {
            WriteChunkHeader(buf, Nbd.ReplyFlagDone, Nbd.ReplyTypeNone, cookie, 0);
            return 20;
        }
        var pos = 0;
        for (var i = 0; i < segments.Count; i++)
        {
            var g = segments[i];
            var done = i == segments.Count - 1 ? Nbd.ReplyFlagDone : (ushort)0;
            if (g.IsHole)
            {
                WriteChunkHeader(buf.AsSpan(pos), done, Nbd.ReplyTypeOffsetHole, cookie, 12);
                BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(pos + 20), (ulong)g.Offset);
                BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(pos + 28), (uint)g.Length);
            }
            else
            {
                WriteChunkHeader(buf.AsSpan(pos), done, Nbd.ReplyTypeOffsetData, cookie, (uint)(8 + g.Length));
                BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(pos + 20), (ulong)g.Offset);
                reader.Read(g.Offset, buf.AsSpan(pos + 28, (int)g.Length));
            }
            pos += (int)g.WireBytes;
        }
        return pos;
    }

    private async Task BlockStatusAsync(ulong cookie, ushort flags, ulong offset, uint length, CancellationToken ct)
    {
        if (!session.Allocation)
        {
            await ErrorAsync(cookie, Nbd.EInval, "no metadata context was negotiated", ct);
            return;
        }
        if (!InBounds(offset, length) || length == 0)
        {
            await ErrorAsync(cookie, Nbd.EInval, $"block status of {length} bytes at {offset} is outside the export (size {Size})", ct);
            return;
        }
        var descriptors = new List<(uint Length, uint Flags)>();
        foreach (var e in export.Image.Index.Range((long)offset, length))
        {
            var state = e.Kind switch { ExtentKind.Hole => Nbd.StateHole | Nbd.StateZero, ExtentKind.Zero => Nbd.StateZero, _ => 0u };
            if (descriptors.Count > 0 && descriptors[^1].Flags == state)
                descriptors[^1] = (descriptors[^1].Length + (uint)e.Length, state);
            else if (descriptors.Count == MaxDescriptors)
                break;
            else
                descriptors.Add(((uint)e.Length, state));
        }
        if ((flags & Nbd.CmdFlagReqOne) != 0) descriptors.RemoveRange(1, descriptors.Count - 1);
        var payload = 4 + 8 * descriptors.Count;
        var buf = new byte[20 + payload];
        WriteChunkHeader(buf, Nbd.ReplyFlagDone, Nbd.ReplyTypeBlockStatus, cookie, (uint)payload);
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(20), Nbd.AllocationContextId);
        for (var i = 0; i < descriptors.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(24 + 8 * i), descriptors[i].Length);
            BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(28 + 8 * i), descriptors[i].Flags);
        }
        await SendAsync(buf, ct);
    }

    /// <summary>A structured error (with the message) when negotiated, which READ then requires; else a simple one.</summary>
    private async Task ErrorAsync(ulong cookie, uint error, string message, CancellationToken ct)
    {
        if (!session.Structured)
        {
            await SimpleReplyAsync(cookie, error, ct);
            return;
        }
        var text = Encoding.UTF8.GetBytes(message.Length > 1000 ? message[..1000] : message);
        var buf = new byte[20 + 6 + text.Length];
        WriteChunkHeader(buf, Nbd.ReplyFlagDone, Nbd.ReplyTypeError, cookie, (uint)(6 + text.Length));
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(20), error);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(24), (ushort)text.Length);
        text.CopyTo(buf, 26);
        await SendAsync(buf, ct);
    }

    private async Task SimpleReplyAsync(ulong cookie, uint error, CancellationToken ct)
    {
        var buf = new byte[16];
        WriteSimpleHeader(buf, cookie, error);
        await SendAsync(buf, ct);
    }

    /// <summary>One reply, whole: replies of concurrent reads must not interleave on the wire.</summary>
    private async Task SendAsync(ReadOnlyMemory<byte> reply, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try { await s.WriteAsync(reply, ct); }
        finally { _writeLock.Release(); }
    }

    public void Dispose()
    {
        foreach (var r in _readers) r.Dispose();
        _writeLock.Dispose();
        _slots.Dispose();
    }

    private static void WriteSimpleHeader(Span<byte> b, ulong cookie, uint error)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Nbd.SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], error);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], cookie);
    }

    private static void WriteChunkHeader(Span<byte> b, ushort flags, ushort type, ulong cookie, uint length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Nbd.StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(b[4..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(b[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], cookie);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], length);
    }

    private async Task DiscardAsync(int length, CancellationToken ct)
    {
        var buf = ArrayPool<byte>.Shared.Rent(Math.Min(length, 1 << 20));
        try
        {
            while (length > 0)
            {
                var n = Math.Min(length, buf.Length);
                await s.ReadExactlyAsync(buf.AsMemory(0, n), ct);
                length -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }
}
