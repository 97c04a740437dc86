using System.Buffers.Binary;
using System.Text;

namespace CephBackup.Core.Nbd;

/// <summary>What a client may see: one export, always read-only.</summary>
/// <param name="Name">Its name; the default export ("") is the same export.</param>
public sealed record NbdExport(string Name, string Description, ChainImage Image)
{
    public bool Matches(string requested) => requested.Length == 0 || requested == Name;

    public ushort TransmissionFlags =>
        Nbd.HasFlags | Nbd.ReadOnly | Nbd.SendFlush | Nbd.SendDf | Nbd.CanMultiConn;
}

/// <summary>The outcome of the handshake: what transmission may use.</summary>
internal sealed record NegotiatedSession(bool Structured, bool Allocation);

/// <summary>
/// The fixed newstyle handshake and option haggling. Returns null when the client aborted or chose an
/// export that does not exist; throws <see cref="InvalidDataException"/> on a protocol violation.
/// </summary>
internal sealed class NbdNegotiation(Stream s, NbdExport export)
{
    private bool _structured;
    private bool _allocation;
    private bool _noZeroes;

    public async Task<NegotiatedSession?> RunAsync(CancellationToken ct)
    {
        var hello = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(hello, Nbd.NbdMagic);
        BinaryPrimitives.WriteUInt64BigEndian(hello.AsSpan(8), Nbd.IHaveOpt);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(16), Nbd.FlagFixedNewstyle | Nbd.FlagNoZeroes);
        await s.WriteAsync(hello, ct);
        var clientFlags = BinaryPrimitives.ReadUInt32BigEndian(await ReadAsync(4, ct));
        if ((clientFlags & ~(Nbd.ClientFixedNewstyle | Nbd.ClientNoZeroes)) != 0)
            throw new InvalidDataException($"unknown client flags 0x{clientFlags:x}");
        _noZeroes = (clientFlags & Nbd.ClientNoZeroes) != 0;

        while (true)
        {
            var head = await ReadAsync(16, ct);
            if (BinaryPrimitives.ReadUInt64BigEndian(head) != Nbd.IHaveOpt) throw new InvalidDataException("bad option magic");
            var option = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(8));
            var length = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(12));
            if (length > Nbd.MaxOptionLength) throw new InvalidDataException($"option {option} with {length} bytes of data");
            var data = await ReadAsync((int)length, ct);
            switch (option)
            {
                case Nbd.OptExportName:
                    if (!export.Matches(Encoding.UTF8.GetString(data))) return null; // the protocol leaves no way to say why
                    await SendExportNameReplyAsync(ct);
                    return Session();
                case Nbd.OptAbort:
                    await ReplyAsync(option, Nbd.RepAck, [], ct);
                    return null;
                case Nbd.OptList:
                    if (length != 0) { await ErrorAsync(option, Nbd.RepErrInvalid, "LIST takes no data", ct); break; }
                    await ReplyAsync(option, Nbd.RepServer, Concat(U32((uint)Utf8(export.Name).Length), Utf8(export.Name), Utf8(export.Description)), ct);
                    await ReplyAsync(option, Nbd.RepAck, [], ct);
                    break;
                case Nbd.OptInfo or Nbd.OptGo:
                    if (await InfoAsync(option, data, ct) && option == Nbd.OptGo) return Session();
                    break;
                case Nbd.OptStructuredReply:
                    if (length != 0) { await ErrorAsync(option, Nbd.RepErrInvalid, "STRUCTURED_REPLY takes no data", ct); break; }
                    _structured = true;
                    await ReplyAsync(option, Nbd.RepAck, [], ct);
                    break;
                case Nbd.OptListMetaContext or Nbd.OptSetMetaContext:
                    await MetaContextAsync(option, data, ct);
                    break;
                default:
                    await ErrorAsync(option, Nbd.RepErrUnsup, $"option {option} is not supported", ct);
                    break;
            }
        }
    }

    private NegotiatedSession Session() => new(_structured, _structured && _allocation);

    /// <returns>True when the export was accepted (ACK sent).</returns>
    private async Task<bool> InfoAsync(uint option, byte[] data, CancellationToken ct)
    {
        if (!TryParseInfo(data, out var name, out var requests))
        {
            await ErrorAsync(option, Nbd.RepErrInvalid, "malformed INFO/GO request", ct);
            return false;
        }
        if (!export.Matches(name))
        {
            await ErrorAsync(option, Nbd.RepErrUnknown, $"no export '{name}' (this server has '{export.Name}')", ct);
            return false;
        }
        await ReplyAsync(option, Nbd.RepInfo, Concat(U16(Nbd.InfoExport), U64((ulong)export.Image.Size), U16(export.TransmissionFlags)), ct);
        if (requests.Contains(Nbd.InfoName))
            await ReplyAsync(option, Nbd.RepInfo, Concat(U16(Nbd.InfoName), Utf8(export.Name)), ct);
        if (requests.Contains(Nbd.InfoDescription))
            await ReplyAsync(option, Nbd.RepInfo, Concat(U16(Nbd.InfoDescription), Utf8(export.Description)), ct);
        if (requests.Contains(Nbd.InfoBlockSize))
            await ReplyAsync(option, Nbd.RepInfo, Concat(U16(Nbd.InfoBlockSize), U32(1), U32(Nbd.PreferredBlock), U32(Nbd.MaxPayload)), ct);
        await ReplyAsync(option, Nbd.RepAck, [], ct);
        return true;
    }

    internal static bool TryParseInfo(ReadOnlySpan<byte> data, out string name, out List<ushort> requests)
    {
        name = "";
        requests = [];
        if (data.Length < 6) return false;
        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (nameLength > data.Length - 6) return false;
        name = Encoding.UTF8.GetString(data.Slice(4, (int)nameLength));
        var rest = data[(4 + (int)nameLength)..];
        var count = BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (rest.Length != 2 + 2 * count) return false;
        for (var i = 0; i < count; i++) requests.Add(BinaryPrimitives.ReadUInt16BigEndian(rest[(2 + 2 * i)..]));
        return true;
    }

    private async Task MetaContextAsync(uint option, byte[] data, CancellationToken ct)
    {
        var set = option == Nbd.OptSetMetaContext;
        if (set) _allocation = false; // SET replaces the selection, even when it fails
        if (!_structured)
        {
            await ErrorAsync(option, Nbd.RepErrInvalid, "negotiate STRUCTURED_REPLY first", ct);
            return;
        }
        if (!TryParseMetaContext(data, out var name, out var queries))
        {
            await ErrorAsync(option, Nbd.RepErrInvalid, "malformed META_CONTEXT request", ct);
            return;
        }
        if (!export.Matches(name))
        {
            await ErrorAsync(option, Nbd.RepErrUnknown, $"no export '{name}'", ct);
            return;
        }
        // base:allocation is our only context; LIST with no query, or with "base:", lists it too.
        var selected = set
            ? queries.Contains(Nbd.BaseAllocation)
            : queries.Count == 0 || queries.Any(q => q is Nbd.BaseAllocation or "base:");
        if (selected)
        {
            await ReplyAsync(option, Nbd.RepMetaContext, Concat(U32(set ? Nbd.AllocationContextId : 0), Utf8(Nbd.BaseAllocation)), ct);
            if (set) _allocation = true;
        }
        await ReplyAsync(option, Nbd.RepAck, [], ct);
    }

    internal static bool TryParseMetaContext(ReadOnlySpan<byte> data, out string name, out List<string> queries)
    {
        name = "";
        queries = [];
        if (data.Length < 8) return false;
        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (nameLength > data.Length - 8) return false;
        name = Encoding.UTF8.GetString(data.Slice(4, (int)nameLength));
        var rest = data[(4 + (int)nameLength)..];
        var count = BinaryPrimitives.ReadUInt32BigEndian(rest);
        rest = rest[4..];
        for (var i = 0; i < count; i++)
        {
            if (rest.Length < 4) return false;
            var ql = BinaryPrimitives.ReadUInt32BigEndian(rest);
            if (ql > rest.Length - 4) return false;
            queries.Add(Encoding.UTF8.GetString(rest.Slice(4, (int)ql)));
            rest = rest[(4 + (int)ql)..];
        }
        return rest.Length == 0;
    }

    private async Task SendExportNameReplyAsync(CancellationToken ct)
    {
        var reply = new byte[10 + (_noZeroes ? 0 : 124)];
        BinaryPrimitives.WriteUInt64BigEndian(reply, (ulong)export.Image.Size);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), export.TransmissionFlags);
        await s.WriteAsync(reply, ct);
    }

    private Task ErrorAsync(uint option, uint error, string message, CancellationToken ct) =>
        ReplyAsync(option, error, Utf8(message), ct);

    private async Task ReplyAsync(uint option, uint type, byte[] data, CancellationToken ct)
    {
        var buf = new byte[20 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(buf, Nbd.OptReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(16), (uint)data.Length);
        data.CopyTo(buf, 20);
        await s.WriteAsync(buf, ct);
    }

    private async Task<byte[]> ReadAsync(int n, CancellationToken ct)
    {
        var buf = new byte[n];
        await s.ReadExactlyAsync(buf, ct);
        return buf;
    }

    private static byte[] Utf8(string v) => Encoding.UTF8.GetBytes(v);
    private static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); return b; }
    private static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    private static byte[] U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); return b; }
    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
