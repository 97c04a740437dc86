using System.Buffers.Binary;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Nbd;

/// <param name="Records">The 'w' and 'z' records in stream order; 'w' data is not read, only located.</param>
public sealed record ScannedDiff(DiffHeader Header, IReadOnlyList<DiffRecord> Records);

/// <summary>
/// One pass over the record headers of a diff stream through <see cref="IDiffRandomAccess"/>: reads the
/// 17-byte heads and steps over the data, so the cost is the number of records, not the bytes (for a
/// compressed point the codec decides what a step costs). Structure is checked as strictly as
/// <see cref="DiffFile.CheckRecords"/>: a stream that does not end in exactly one 'e' is refused.
/// </summary>
public static class DiffScanner
{
    private const int Window = 64 * 1024;

    /// <exception cref="InvalidDataException">The stream is not a whole diff v1 stream.</exception>
    public static ScannedDiff Scan(IDiffRandomAccess stream)
    {
        var reader = new WindowReader(stream);
        var (header, pos) = ReadHeader(reader);
        var records = new List<DiffRecord>();
        Span<byte> head = stackalloc byte[17];
        while (true)
        {
            var n = reader.Read(pos, head);
            if (n == 0) throw new InvalidDataException("no end record (interrupted export?)");
            switch (head[0])
            {
                case (byte)'w' or (byte)'z':
                    if (n < 17) throw new InvalidDataException($"cut short inside the record at byte {pos}");
                    var offset = BinaryPrimitives.ReadInt64LittleEndian(head[1..]);
                    var length = BinaryPrimitives.ReadInt64LittleEndian(head[9..]);
                    if (offset < 0 || length < 0 || length > header.ImageSize || offset > header.ImageSize - length)
                        throw new InvalidDataException($"record at byte {pos} lies outside the image ({offset}+{length} > {header.ImageSize})");
                    var isZero = head[0] == 'z';
                    records.Add(new DiffRecord(offset, length, isZero, isZero ? -1 : pos + 17));
                    pos += 17 + (isZero ? 0 : length);
                    if (pos > stream.StreamLength) throw new InvalidDataException($"cut short inside the data of the record at byte {pos}");
                    break;
                case (byte)'e':
                    var rest = stream.StreamLength - pos - 1;
                    if (rest != 0) throw new InvalidDataException($"{rest} bytes after the end record");
                    return new ScannedDiff(header, records);
                default:
                    throw new InvalidDataException($"unexpected record tag 0x{head[0]:x2} at byte {pos}");
            }
        }
    }

    /// <summary>The header and the stream offset of the first data record.</summary>
    private static (DiffHeader Header, long Next) ReadHeader(WindowReader reader)
    {
        var buf = new byte[DiffFile.HeaderReadLimit];
        var n = reader.Read(0, buf);
        if (!DiffHeader.TryParse(buf.AsSpan(0, n), out var header))
            throw new InvalidDataException(n < buf.Length ? "diff header incomplete (file cut short)" : "diff header longer than 64 KiB");
        return (header!, DiffHeader.SizeRecordOffset(buf.AsSpan(0, n)) + 9);
    }

    /// <summary>Small reads served from one 64 KiB window, so records packed close together cost one read.</summary>
    private sealed class WindowReader(IDiffRandomAccess stream)
    {
        private readonly byte[] _buf = new byte[Window];
        private long _start = -1;
        private int _length;

        public int Read(long pos, Span<byte> dst)
        {
            if (dst.Length > Window) return stream.ReadAt(pos, dst);
            if (_start < 0 || pos < _start || pos + dst.Length > _start + _length)
            {
                _start = pos;
                _length = stream.ReadAt(pos, _buf);
            }
            var n = (int)Math.Min(dst.Length, _start + _length - pos);
            if (n <= 0) return 0;
            _buf.AsSpan((int)(pos - _start), n).CopyTo(dst);
            return n;
        }
    }
}
