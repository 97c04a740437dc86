using CephBackup.Core;
using CephBackup.Core.Nbd;

namespace CephBackup.Tests.Nbd;

public sealed class RawImageWriterTests : IDisposable
{
    private const long Size = 8 << 20;
    private readonly TestChain _chain = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("cbraw-").FullName;
    private readonly RawImageWriter _writer = new(TimeProvider.System, Serilog.Core.Logger.None);

    private ChainImage Image()
    {
        var data = new byte[1 << 20];
        new Random(1).NextBytes(data);
        _chain.Add(Size, TestChain.W(0, data), TestChain.W(4 << 20, new byte[1 << 20]), TestChain.W(6 << 20, data));
        _chain.Add(Size, TestChain.Z(6 << 20, 1 << 20), TestChain.W(100, new byte[] { 1, 2, 3 }));
        return _chain.Open(Size);
    }

    [Fact]
    public async Task Writes_the_image_with_holes_for_holes_zeroes_and_zero_blocks()
    {
        var image = Image();
        var path = Path.Combine(_dir, "out.raw");
        var r = await _writer.WriteAsync(image, path, null, CancellationToken.None);
        var expected = new byte[Size];
        image.OpenReader().Read(0, expected);
        Assert.Equal(expected, await File.ReadAllBytesAsync(path));
        Assert.Equal([1, 2, 3], expected.AsSpan(100, 3).ToArray());
        Assert.Equal(1L << 20, r.DataBytes); // the zero megabyte and the zeroed one are not written
    }

    [Fact]
    public async Task An_existing_file_is_refused_and_left_alone()
    {
        var path = Path.Combine(_dir, "exists.raw");
        await File.WriteAllTextAsync(path, "mine");
        var e = await Assert.ThrowsAsync<CephBackupException>(() => _writer.WriteAsync(Image(), path, null, CancellationToken.None));
        Assert.Equal(ExitCode.InvalidInput, e.Code);
        Assert.Equal("mine", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Cancellation_or_a_corrupt_chain_removes_the_partial_file()
    {
        var image = Image();
        var path = Path.Combine(_dir, "cancelled.raw");
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _writer.WriteAsync(image, path, _ => cts.Cancel(), cts.Token));
        Assert.False(File.Exists(path));

        image.MarkCorrupt("000001 does not match its recorded sha256");
        var e = await Assert.ThrowsAsync<CephBackupException>(() => _writer.WriteAsync(image, path, null, CancellationToken.None));
        Assert.Equal(ExitCode.VerificationFailed, e.Code);
        Assert.False(File.Exists(path));
    }

    public void Dispose()
    {
        _chain.Dispose();
        Directory.Delete(_dir, true);
    }
}
