namespace CephBackup.Core.Storage;

/// <summary>
/// A diff stream as <c>rbd import-diff</c> sees it when a restore keeps no snapshots: the header's from- and
/// to-snapshot records are left out, so rbd neither looks up a base snapshot nor creates one at the end.
/// Each of those is a monitor round trip (about a second on a quiet cluster), and a restore used to pay
/// two per file: import-diff created the snapshot, the cleanup removed it again.
/// The check rbd would have made is made here instead, and stricter: a file must start from the snapshot
/// the file before it ended at (the first one from none), so a chain put together wrongly is refused before
/// any of its records reaches the image. The bytes below this stream are hashed as they are; only what rbd
/// is given changes.
/// </summary>
public sealed class DiffSnapshotStripper(Stream inner, string? expectedFrom, string file) : Stream
{
    private byte[]? _pending;
    private int _pendingPos, _pendingEnd;
    private bool _headerDone;

    /// <summary>The to-snapshot this file's header names; known once the first byte has been read.</summary>
    public string? ToSnap { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (!_headerDone) await ReadHeaderAsync(ct).ConfigureAwait(false);
        if (_pending is null) return await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        var n = Math.Min(buffer.Length, _pendingEnd - _pendingPos);
        _pending.AsSpan(_pendingPos, n).CopyTo(buffer.Span);
        _pendingPos += n;
        if (_pendingPos == _pendingEnd) _pending = null;
        return n;
    }

    private async Task ReadHeaderAsync(CancellationToken ct)
    {
        var buf = new byte[DiffFile.HeaderReadLimit];
        var length = 0;
        DiffHeader? header;
        while (!DiffHeader.TryParse(buf.AsSpan(0, length), out header))
        {
            if (length == buf.Length) throw new InvalidDataException($"{file}: diff header longer than {buf.Length} bytes");
            var n = await inner.ReadAsync(buf.AsMemory(length), ct).ConfigureAwait(false);
            if (n == 0) throw new InvalidDataException($"{file}: diff header incomplete (file cut short)");
            length += n;
        }
        if (header!.FromSnap != expectedFrom)
            throw new InvalidDataException($"{file} starts from snapshot {header.FromSnap ?? "(none: it is a full)"}, " +
                                           $"but the file before it in the chain ends at {expectedFrom ?? "(nothing: the first file must be a full)"}");
        ToSnap = header.ToSnap;

        var pos = DiffHeader.SizeRecordOffset(buf.AsSpan(0, length));
        var banner = DiffHeader.Banner.Length;
        var headerEnd = pos + 9;
        // Banner and size record, then whatever was read beyond the header, in place: shift the size record down.
        buf.AsSpan(pos, 9).CopyTo(buf.AsSpan(banner));
        var rest = length - headerEnd;
        buf.AsSpan(headerEnd, rest).CopyTo(buf.AsSpan(banner + 9));
        (_pending, _pendingPos, _pendingEnd) = (buf, 0, banner + 9 + rest);
        _headerDone = true;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
