using System.Buffers.Binary;
using System.Text;

namespace CephBackup.Core.Storage;

/// <param name="Header">Null when the file does not start with a complete diff v1 header.</param>
/// <param name="Problem">Null when the file is a whole diff v1 stream, else why it is not.</param>
public sealed record DiffFileCheck(DiffHeader? Header, string? Problem);

/// <summary>
/// Structural check of a diff file that has no recorded checksum (written by the PHP tool): the header
/// parses and every record up to the 'e' end record is whole, with nothing after it. Stricter than
/// "the last byte is 'e'", which a file cut inside its data matches once in 256 cuts.
/// </summary>
public static class DiffFile
{
    public const int HeaderReadLimit = 64 * 1024;

    /// <exception cref="IOException">The file cannot be read.</exception>
    public static DiffFileCheck Check(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        return Check(fs);
    }

    public static DiffFileCheck Check(Stream s)
    {
        var head = new byte[HeaderReadLimit];
        var n = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        DiffHeader? header;
        try
        {
            if (!DiffHeader.TryParse(head.AsSpan(0, n), out header))
                return new(null, n < head.Length ? "diff header incomplete (file cut short)" : "diff header longer than 64 KiB");
        }
        catch (InvalidDataException e)
        {
            return new(null, e.Message);
        }
        s.Position = HeaderLength(header!);
        return new(header, CheckRecords(s, header!.ImageSize));
    }

    // TryParse accepts f/t/s once each, so the header is their sum; a repeated tag misaligns the walk and is caught there.
    private static long HeaderLength(DiffHeader h) =>
        DiffHeader.Banner.Length + NameRecord(h.FromSnap) + NameRecord(h.ToSnap) + 9;

    private static int NameRecord(string? name) => name is null ? 0 : 5 + Encoding.UTF8.GetByteCount(name);

    /// <summary>Walks the data records from the current position; null when they end with 'e' at the end of the stream.</summary>
    public static string? CheckRecords(Stream s, long imageSize)
    {
        Span<byte> buf = stackalloc byte[16];
        while (true)
        {
            var at = s.Position;
            var tag = s.ReadByte();
            switch (tag)
            {
                case < 0:
                    return "no end record (interrupted export?)";
                case 'w' or 'z':
                    if (s.ReadAtLeast(buf, 16, throwOnEndOfStream: false) < 16)
                        return $"cut short inside the record at byte {at} (interrupted export?)";
                    var offset = BinaryPrimitives.ReadInt64LittleEndian(buf);
                    var length = BinaryPrimitives.ReadInt64LittleEndian(buf[8..]);
                    if (offset < 0 || length < 0 || length > imageSize || offset > imageSize - length)
                        return $"record at byte {at} lies outside the image ({offset}+{length} > {imageSize})";
                    if (tag == 'w')
                    {
                        if (length > s.Length - s.Position) return $"cut short inside the data at byte {at} (interrupted export?)";
                        s.Seek(length, SeekOrigin.Current);
                    }
                    break;
                case 'e':
                    var rest = s.Length - s.Position;
                    return rest == 0 ? null : $"{rest} bytes after the end record";
                default:
                    return $"unexpected record tag 0x{tag:x2} at byte {at}";
            }
        }
    }
}
