using System.Buffers.Binary;
using System.Text;
using CephBackup.Core.Nbd;
using static CephBackup.Tests.Nbd.RawNbdClient;

namespace CephBackup.Tests.Nbd;

/// <summary>The server's side of the protocol, byte by byte, over an in-memory connection.</summary>
public sealed class NbdProtocolTests : IDisposable
{
    private const long Size = 64 * 1024;
    private const uint OptExportName = 1, OptAbort = 2, OptList = 3, OptInfo = 6, OptGo = 7, OptStructured = 8, OptSetMeta = 10;
    private const uint RepAck = 1, RepServer = 2, RepInfo = 3, RepMeta = 4, ErrUnsup = 0x80000001, ErrInvalid = 0x80000003, ErrUnknown = 0x80000006;
    private const ushort Read = 0, Write = 1, Disc = 2, Flush = 3, Trim = 4, WriteZeroes = 6, BlockStatus = 7;

    private readonly TestChain _chain = new();
    private readonly byte[] _model = new byte[Size];
    private readonly ChainImage _image;
    private readonly DuplexStream _client, _serverEnd;
    private readonly Task _server;
    private readonly RawNbdClient _c;

    public NbdProtocolTests()
    {
        // Full: data at 0-4 KiB and 16-20 KiB. Diff: 512 bytes over the first, a 'z' over part of the second.
        _chain.Add(Size, TestChain.W(0, Fill(4096, 0xAA)), TestChain.W(16384, Fill(4096, 0xBB)));
        _chain.Add(Size, TestChain.W(1024, Fill(512, 0xCC)), TestChain.Z(16384, 1024));
        Array.Fill(_model, (byte)0xAA, 0, 4096);
        Array.Fill(_model, (byte)0xCC, 1024, 512);
        Array.Fill(_model, (byte)0xBB, 17408, 3072);
        _image = _chain.Open(Size);
        (_client, _serverEnd) = DuplexStream.Pair();
        _server = new NbdServer(new NbdExport("disk", "test disk", _image), Serilog.Core.Logger.None).ServeStreamAsync(_serverEnd, 1, CancellationToken.None);
        _c = new RawNbdClient(_client);
    }

    private static byte[] Fill(int n, byte b) => Enumerable.Repeat(b, n).ToArray();

    private async Task GoAsync(bool structured, bool allocation = false)
    {
        Assert.Equal(3, await _c.HelloAsync());
        if (structured)
        {
            await _c.OptionAsync(OptStructured, []);
            Assert.Equal(RepAck, (await _c.OptionReplyAsync()).Type);
        }
        if (allocation)
        {
            await _c.OptionAsync(OptSetMeta, NameAndQueries("disk", "other:thing", "base:allocation"));
            var meta = await _c.OptionReplyAsync();
            Assert.Equal(RepMeta, meta.Type);
            Assert.Equal("base:allocation", Encoding.UTF8.GetString(meta.Data.AsSpan(4)));
            Assert.Equal(RepAck, (await _c.OptionReplyAsync()).Type);
        }
        await _c.OptionAsync(OptGo, NameAndInfos("disk"));
        Assert.Equal(RepInfo, (await _c.OptionReplyAsync()).Type);
        Assert.Equal(RepAck, (await _c.OptionReplyAsync()).Type);
    }

    /// <summary>Reads a structured READ reply into the bytes it describes; returns them and the chunk types seen.</summary>
    private async Task<(byte[] Data, List<ushort> Types)> StructuredReadAsync(ulong cookie, long offset, int length)
    {
        var data = new byte[length];
        var types = new List<ushort>();
        while (true)
        {
            var (flags, type, ck, p) = await _c.ChunkAsync();
            Assert.Equal(cookie, ck);
            types.Add(type);
            var at = (long)BinaryPrimitives.ReadUInt64BigEndian(p) - offset;
            if (type == 1) p.AsSpan(8).CopyTo(data.AsSpan((int)at));
            else if (type == 2) Assert.True(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(8)) > 0);
            else Assert.Fail($"chunk type {type}");
            if ((flags & 1) != 0) return (data, types);
        }
    }

    [Fact]
    public async Task Options_list_info_and_go_describe_one_read_only_export()
    {
        Assert.Equal(3, await _c.HelloAsync());
        await _c.OptionAsync(99, [1, 2, 3]);
        var unsupported = await _c.OptionReplyAsync();
        Assert.Equal((99u, ErrUnsup), (unsupported.Option, unsupported.Type));
        await _c.OptionAsync(OptList, []);
        var server = await _c.OptionReplyAsync();
        Assert.Equal(RepServer, server.Type);
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(server.Data));
        Assert.Equal("disktest disk", Encoding.UTF8.GetString(server.Data.AsSpan(4)));
        Assert.Equal(RepAck, (await _c.OptionReplyAsync()).Type);

        await _c.OptionAsync(OptGo, NameAndInfos("nope"));
        Assert.Equal(ErrUnknown, (await _c.OptionReplyAsync()).Type);
        await _c.OptionAsync(OptInfo, [1, 2]);
        Assert.Equal(ErrInvalid, (await _c.OptionReplyAsync()).Type);

        await _c.OptionAsync(OptInfo, NameAndInfos("", 3));
        var export = await _c.OptionReplyAsync();
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(export.Data));
        Assert.Equal((ulong)Size, BinaryPrimitives.ReadUInt64BigEndian(export.Data.AsSpan(2)));
        var flags = BinaryPrimitives.ReadUInt16BigEndian(export.Data.AsSpan(10));
        Assert.Equal(0b11, flags & 0b11); // HAS_FLAGS | READ_ONLY
        Assert.Equal(0, flags & ((1 << 5) | (1 << 6))); // no TRIM, no WRITE_ZEROES
        var blockSize = await _c.OptionReplyAsync();
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(blockSize.Data));
        Assert.Equal(32u << 20, BinaryPrimitives.ReadUInt32BigEndian(blockSize.Data.AsSpan(10)));
        Assert.Equal(RepAck, (await _c.OptionReplyAsync()).Type);

        await _c.OptionAsync(OptGo, NameAndInfos("disk", 1));
        Assert.Equal(RepInfo, (await _c.OptionReplyAsync()).Type);
        var name = await _c.OptionReplyAsync();
        Assert.Equal("disk", Encoding.UTF8.GetString(name.Data.AsSpan(2)));
        Assert.Equal(RepAck, (await _c.OptionReplyAsync()).Type);

        // Without structured replies a READ is one simple reply followed by the bytes.
        await _c.RequestAsync(Read, 7, 0, (uint)Size);
        Assert.Equal((0u, 7UL), await _c.SimpleReplyAsync());
        Assert.Equal(_model, await _c.ReadAsync((int)Size));
    }

    [Fact]
    public async Task Structured_reads_send_holes_as_holes_and_block_status_maps_them()
    {
        await GoAsync(structured: true, allocation: true);
        await _c.RequestAsync(Read, 1, 0, (uint)Size);
        var (data, types) = await StructuredReadAsync(1, 0, (int)Size);
        Assert.Equal(_model, data);
        Assert.Contains((ushort)2, types);

        await _c.RequestAsync(Read, 2, 1000, 20000);
        Assert.Equal(_model.AsSpan(1000, 20000).ToArray(), (await StructuredReadAsync(2, 1000, 20000)).Data);

        await _c.RequestAsync(BlockStatus, 3, 0, (uint)Size);
        var (flags, type, _, p) = await _c.ChunkAsync();
        Assert.Equal((1, 5), (flags, type));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(p));
        var descriptors = Enumerable.Range(0, (p.Length - 4) / 8)
            .Select(i => (BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4 + 8 * i)), BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(8 + 8 * i))))
            .ToList();
        Assert.Equal([(4096u, 0u), (12288u, 3u), (1024u, 2u), (3072u, 0u), (45056u, 3u)], descriptors);

        await _c.RequestAsync(BlockStatus, 4, 100, 50000, flags: 8);
        var one = (await _c.ChunkAsync()).Payload;
        Assert.Equal(12, one.Length);
        Assert.Equal(3996u, BinaryPrimitives.ReadUInt32BigEndian(one.AsSpan(4)));
    }

    [Fact]
    public async Task Writes_trims_and_write_zeroes_are_refused_with_eperm_and_the_connection_stays_in_step()
    {
        await GoAsync(structured: false);
        await _c.RequestAsync(Write, 1, 0, 512, payload: Fill(512, 0x55));
        Assert.Equal((1u, 1UL), await _c.SimpleReplyAsync());
        await _c.RequestAsync(Trim, 2, 0, 4096);
        Assert.Equal((1u, 2UL), await _c.SimpleReplyAsync());
        await _c.RequestAsync(WriteZeroes, 3, 0, 4096);
        Assert.Equal((1u, 3UL), await _c.SimpleReplyAsync());
        await _c.RequestAsync(Flush, 4, 0, 0);
        Assert.Equal((0u, 4UL), await _c.SimpleReplyAsync());
        await _c.RequestAsync(BlockStatus, 5, 0, 4096);
        Assert.Equal((22u, 5UL), await _c.SimpleReplyAsync()); // no metadata context negotiated
        await _c.RequestAsync(Read, 6, (ulong)Size - 10, 20);
        Assert.Equal((22u, 6UL), await _c.SimpleReplyAsync());

        await _c.RequestAsync(Read, 7, 0, 1024);
        Assert.Equal((0u, 7UL), await _c.SimpleReplyAsync());
        Assert.Equal(Fill(1024, 0xAA), await _c.ReadAsync(1024));
        await _c.RequestAsync(Disc, 8, 0, 0);
        await _server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Many_reads_in_flight_are_all_answered_each_reply_whole()
    {
        await GoAsync(structured: false);
        for (ulong i = 1; i <= 40; i++) await _c.RequestAsync(Read, i, (i - 1) * 1024 % (ulong)Size, 1024);
        var seen = new Dictionary<ulong, byte[]>();
        for (var i = 0; i < 40; i++)
        {
            var (error, cookie) = await _c.SimpleReplyAsync();
            Assert.Equal(0u, error);
            seen.Add(cookie, await _c.ReadAsync(1024));
        }
        for (ulong i = 1; i <= 40; i++) Assert.Equal(_model.AsSpan((int)((i - 1) * 1024 % (ulong)Size), 1024).ToArray(), seen[i]);
        await _c.RequestAsync(Disc, 99, 0, 0);
        await _server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Meta_context_needs_structured_replies_first()
    {
        Assert.Equal(3, await _c.HelloAsync());
        await _c.OptionAsync(OptSetMeta, NameAndQueries("disk", "base:allocation"));
        Assert.Equal(ErrInvalid, (await _c.OptionReplyAsync()).Type);
        await _c.OptionAsync(OptAbort, []);
        Assert.Equal(RepAck, (await _c.OptionReplyAsync()).Type);
        await _server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(3u, 10)]
    [InlineData(1u, 134)]
    public async Task Export_name_answers_size_and_flags_with_or_without_the_zero_padding(uint clientFlags, int replyLength)
    {
        await _c.HelloAsync(clientFlags);
        await _c.OptionAsync(OptExportName, Encoding.UTF8.GetBytes("disk"));
        var reply = await _c.ReadAsync(replyLength);
        Assert.Equal((ulong)Size, BinaryPrimitives.ReadUInt64BigEndian(reply));
        await _c.RequestAsync(Read, 9, 4096, 8);
        Assert.Equal((0u, 9UL), await _c.SimpleReplyAsync());
        Assert.Equal(new byte[8], await _c.ReadAsync(8));
    }

    [Fact]
    public async Task Once_a_file_is_known_corrupt_every_read_fails_with_eio()
    {
        await GoAsync(structured: true);
        _image.MarkCorrupt("000001 does not match its recorded sha256");
        await _c.RequestAsync(Read, 1, 0, 4096);
        var (flags, type, _, p) = await _c.ChunkAsync();
        Assert.Equal((1, 0x8001), (flags, type));
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32BigEndian(p));
        Assert.Contains("sha256", Encoding.UTF8.GetString(p.AsSpan(6)));
    }

    [Fact]
    public async Task A_request_with_a_bad_magic_ends_the_connection()
    {
        await GoAsync(structured: false);
        await _c.WriteAsync(new byte[28]);
        await _server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        _client.Dispose();
        _serverEnd.Dispose();
        _chain.Dispose();
    }
}
