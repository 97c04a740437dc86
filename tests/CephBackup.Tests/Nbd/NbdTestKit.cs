using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.Core.Nbd;

namespace CephBackup.Tests.Nbd;

/// <summary>Hand-made diff files in a temp folder, and the plan restore would make of them.</summary>
public sealed class TestChain : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbnbd-").FullName;
    private readonly List<RestoreFile> _files = [];

    /// <summary>Adds a point: records are ('w', offset, data) or ('z', offset, length).</summary>
    public string Add(long imageSize, params (char Tag, long Offset, byte[]? Data, long Length)[] records)
    {
        var ms = new MemoryStream();
        ms.Write("rbd diff v1\n"u8);
        if (_files.Count > 0) WriteName(ms, 'f', $"S{_files.Count - 1}");
        WriteName(ms, 't', $"S{_files.Count}");
        ms.WriteByte((byte)'s'); ms.Write(BitConverter.GetBytes(imageSize));
        foreach (var (tag, offset, data, length) in records)
        {
            ms.WriteByte((byte)tag); ms.Write(BitConverter.GetBytes(offset)); ms.Write(BitConverter.GetBytes(data?.LongLength ?? length));
            if (data is not null) ms.Write(data);
        }
        ms.WriteByte((byte)'e');
        var path = Path.Combine(_dir, $"{_files.Count:D6}");
        File.WriteAllBytes(path, ms.ToArray());
        _files.Add(new RestoreFile($"000001-{_files.Count:D6}", _files.Count == 0 ? PointType.Full : PointType.Incremental, path,
            ms.Length, Convert.ToHexStringLower(SHA256.HashData(ms.ToArray())), $"S{_files.Count}"));
        return path;
    }

    public static (char, long, byte[]?, long) W(long offset, byte[] data) => ('w', offset, data, data.Length);
    public static (char, long, byte[]?, long) Z(long offset, long length) => ('z', offset, null, length);

    public RestorePlan Plan(long size) => new("test", _files[^1].RestorePoint, new ImageRef("rbd", "x"), size, [.. _files]);

    public ChainImage Open(long size) => ChainImage.Open(Plan(size));

    private static void WriteName(Stream s, char tag, string name)
    {
        s.WriteByte((byte)tag);
        s.Write(BitConverter.GetBytes(Encoding.UTF8.GetByteCount(name)));
        s.Write(Encoding.UTF8.GetBytes(name));
    }

    public void Dispose() => Directory.Delete(_dir, true);
}

/// <summary>One end of an in-memory duplex connection.</summary>
public sealed class DuplexStream(Stream input, Stream output) : Stream
{
    public static (DuplexStream Client, DuplexStream Server) Pair()
    {
        var up = new Pipe();
        var down = new Pipe();
        return (new DuplexStream(down.Reader.AsStream(), up.Writer.AsStream()), new DuplexStream(up.Reader.AsStream(), down.Writer.AsStream()));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => input.ReadAsync(buffer, ct);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => input.ReadAsync(buffer, offset, count, ct);
    public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => output.WriteAsync(buffer, ct);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => output.WriteAsync(buffer, offset, count, ct);
    public override void Flush() => output.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) { output.Dispose(); input.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>A raw NBD client for protocol tests: sends exactly the bytes a test asks for.</summary>
public sealed class RawNbdClient(Stream s)
{
    public async Task<byte[]> ReadAsync(int n)
    {
        var b = new byte[n];
        await s.ReadExactlyAsync(b).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return b;
    }

    /// <summary>Reads the greeting and answers with <paramref name="clientFlags"/>; returns the handshake flags.</summary>
    public async Task<ushort> HelloAsync(uint clientFlags = 3)
    {
        var hello = await ReadAsync(18);
        Assert.Equal(0x4e42444d41474943UL, BinaryPrimitives.ReadUInt64BigEndian(hello));
        Assert.Equal(0x49484156454F5054UL, BinaryPrimitives.ReadUInt64BigEndian(hello.AsSpan(8)));
        await WriteAsync(U32(clientFlags));
        return BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(16));
    }

    public Task OptionAsync(uint option, byte[] data) =>
        WriteAsync([.. U64(0x49484156454F5054), .. U32(option), .. U32((uint)data.Length), .. data]);

    /// <summary>One option reply: (option, type, data).</summary>
    public async Task<(uint Option, uint Type, byte[] Data)> OptionReplyAsync()
    {
        var h = await ReadAsync(20);
        Assert.Equal(0x3e889045565a9UL, BinaryPrimitives.ReadUInt64BigEndian(h));
        var data = await ReadAsync((int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(16)));
        return (BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8)), BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12)), data);
    }

    public static byte[] NameAndInfos(string name, params ushort[] infos) =>
        [.. U32((uint)Encoding.UTF8.GetByteCount(name)), .. Encoding.UTF8.GetBytes(name), .. U16((ushort)infos.Length), .. infos.SelectMany(U16)];

    public static byte[] NameAndQueries(string name, params string[] queries) =>
        [.. U32((uint)Encoding.UTF8.GetByteCount(name)), .. Encoding.UTF8.GetBytes(name), .. U32((uint)queries.Length),
         .. queries.SelectMany(q => (byte[])[.. U32((uint)q.Length), .. Encoding.UTF8.GetBytes(q)])];

    public Task RequestAsync(ushort type, ulong cookie, ulong offset, uint length, ushort flags = 0, byte[]? payload = null) =>
        WriteAsync([.. U32(0x25609513), .. U16(flags), .. U16(type), .. U64(cookie), .. U64(offset), .. U32(length), .. payload ?? []]);

    /// <summary>A structured chunk: (flags, type, cookie, payload).</summary>
    public async Task<(ushort Flags, ushort Type, ulong Cookie, byte[] Payload)> ChunkAsync()
    {
        var h = await ReadAsync(20);
        Assert.Equal(0x668e33efU, BinaryPrimitives.ReadUInt32BigEndian(h));
        var payload = await ReadAsync((int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(16)));
        return (BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(4)), BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(6)),
            BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8)), payload);
    }

    /// <summary>A simple reply: (error, cookie).</summary>
    public async Task<(uint Error, ulong Cookie)> SimpleReplyAsync()
    {
        var h = await ReadAsync(16);
        Assert.Equal(0x67446698U, BinaryPrimitives.ReadUInt32BigEndian(h));
        return (BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(4)), BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8)));
    }

    public async Task WriteAsync(byte[] data)
    {
        await s.WriteAsync(data);
        await s.FlushAsync();
    }

    public static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); return b; }
    public static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    public static byte[] U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); return b; }
}
