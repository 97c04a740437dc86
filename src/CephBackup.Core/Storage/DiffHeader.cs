using System.Buffers.Binary;
using System.Text;

namespace CephBackup.Core.Storage;

/// <summary>
/// The head of an <c>rbd diff v1</c> stream: banner, optional from-snap, to-snap, image size. Parsed from the
/// bytes as they stream by, so a backup knows the image size at snapshot time and can reject a stream
/// that is not a diff at all. The format has no checksum; ours is the sha256 we record.
/// </summary>
public sealed record DiffHeader(string? FromSnap, string? ToSnap, long ImageSize)
{
    public static ReadOnlySpan<byte> Banner => "rbd diff v1\n"u8;
    private const int MaxName = 4096;

    /// <summary>Where the 's' record starts in bytes that <see cref="TryParse"/> accepted (only f/t records precede it).</summary>
    public static int SizeRecordOffset(ReadOnlySpan<byte> parsed)
    {
        var pos = Banner.Length;
        while (parsed[pos] != 's') pos += 5 + (int)BinaryPrimitives.ReadUInt32LittleEndian(parsed.Slice(pos + 1, 4));
        return pos;
    }

    /// <summary>
    /// True with a header when complete; false with null when more bytes are needed;
    /// throws <see cref="InvalidDataException"/> when the bytes cannot be a diff v1 stream.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out DiffHeader? header)
    {
        header = null;
        var n = Math.Min(data.Length, Banner.Length);
        if (!data[..n].SequenceEqual(Banner[..n])) throw new InvalidDataException("not an rbd diff v1 stream (bad banner)");
        if (data.Length < Banner.Length) return false;
        var pos = Banner.Length;
        string? from = null, to = null;
        while (true)
        {
            if (pos >= data.Length) return false;
            var tag = (char)data[pos];
            switch (tag)
            {
                case 'f' or 't':
                    if (pos + 5 > data.Length) return false;
                    var len = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(pos + 1, 4));
                    if (len > MaxName) throw new InvalidDataException($"snapshot name length {len} in diff header is implausible");
                    if (pos + 5 + (int)len > data.Length) return false;
                    var name = Encoding.UTF8.GetString(data.Slice(pos + 5, (int)len));
                    if (tag == 'f') from = name; else to = name;
                    pos += 5 + (int)len;
                    break;
                case 's':
                    if (pos + 9 > data.Length) return false;
                    var size = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(pos + 1, 8));
                    if (size < 0) throw new InvalidDataException("negative image size in diff header");
                    header = new DiffHeader(from, to, size);
                    return true;
                default:
                    throw new InvalidDataException($"unexpected record tag 0x{(int)tag:x2} in diff header");
            }
        }
    }
}
