using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CephBackup.Core.Storage;

/// <summary>Metadata written once beside every point as <c>&lt;point&gt;.json</c>: enough to restore without the database.</summary>
public sealed record PointSidecar
{
    public required string Job { get; init; }
    public required string Vm { get; init; }
    public required string Image { get; init; }
    public int Chain { get; init; }
    public int Point { get; init; }
    /// <summary>full | incremental | differential</summary>
    public required string Type { get; init; }
    public int? BasePoint { get; init; }
    public required string Snapshot { get; init; }
    public string? FromSnapshot { get; init; }
    public long ImageSizeBytes { get; init; }
    /// <summary>Size of the stored file (<c>NNNNNN</c> or <c>NNNNNN.zst</c>).</summary>
    public long SizeBytes { get; init; }
    /// <summary>sha256 of the stored file: what <c>NNNNNN.sha256</c> holds.</summary>
    public required string Sha256 { get; init; }
    /// <summary>'plain' or 'zstd'; absent in sidecars written before compression existed (plain).</summary>
    public string? Format { get; init; }
    /// <summary>Size and sha256 of the rbd diff stream (equal to the stored ones for a plain point).</summary>
    public long? StreamSizeBytes { get; init; }
    public string? StreamSha256 { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime EndedAt { get; init; }
    /// <summary>crash | fs-frozen (see docs/CONSISTENCY.md).</summary>
    public string? Consistency { get; init; }
    /// <summary>SHA-256 of <c>NNNNNN.vm.xml</c>, the VM's libvirt definition saved with this point (when libvirt is on).</summary>
    public string? VmDefinitionSha256 { get; init; }
    public string ToolVersion { get; init; } = Version;

    /// <summary>The cephbackup version that wrote a sidecar (informational version of this assembly).</summary>
    public static string Version { get; } =
        typeof(PointSidecar).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            is [System.Reflection.AssemblyInformationalVersionAttribute a, ..] ? a.InformationalVersion : "unknown";
}

/// <summary>
/// The sidecar's JSON shape (camelCase, indented, nulls left out), generated at build time: the reflection-based
/// serializer spent tens of milliseconds building its metadata on the first sidecar of every run.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PointSidecar))]
internal sealed partial class SidecarJson : JsonSerializerContext;

/// <summary>
/// Files of one restore point: the stored diff, <c>NNNNNN</c> (the raw export-diff stream, as the PHP tool
/// wrote it) or <c>NNNNNN.zst</c> (compressed, see <see cref="ZstdPointCodec"/>), plus <c>NNNNNN.sha256</c>
/// (sha256sum -c format, naming the stored file) and <c>NNNNNN.json</c>. The stored file is written to
/// <c>&lt;stored&gt;.partial</c> and renamed only when complete and fsynced, so a point file is always whole.
/// Callers name a point by its plain path; the codec says which file holds it.
/// </summary>
public static class PointFiles
{
    public static string Partial(string pointFile) => pointFile + ".partial";
    public static string Partial(string pointFile, IPointCodec codec) => codec.StoredPath(pointFile) + ".partial";
    public static string ShaFile(string pointFile) => pointFile + ".sha256";
    public static string JsonFile(string pointFile) => pointFile + ".json";

    /// <summary>Removes what a crashed or failed run may have left for this point.</summary>
    public static void DeleteAll(string pointFile)
    {
        var zst = pointFile + ZstdPointCodec.Extension;
        foreach (var f in new[] { Partial(pointFile), Partial(zst), ShaFile(pointFile), JsonFile(pointFile), pointFile, zst,
                     ShaFile(pointFile) + ".partial", JsonFile(pointFile) + ".partial",
                     pointFile + ".vm.xml", pointFile + ".vm.xml.partial" })
            File.Delete(f);
    }

    /// <summary>Writes the sidecars, then renames the finished partial into place and fsyncs the folder.</summary>
    /// <remarks>The sidecar's <c>format</c> says which partial to rename: <c>NNNNNN.partial</c> or <c>NNNNNN.zst.partial</c>.</remarks>
    public static void Commit(string pointFile, PointSidecar meta) =>
        Commit(pointFile, meta, meta.Format == PointFormat.Zstd.ToDb() ? new ZstdPointCodec() : PointCodecs.Plain);

    public static void Commit(string pointFile, PointSidecar meta, IPointCodec codec)
    {
        var stored = codec.StoredPath(pointFile);
        // Names the stored file, so `sha256sum -c NNNNNN.sha256` checks what is on disk, compressed or not.
        WriteSmallAtomic(ShaFile(pointFile), $"{meta.Sha256}  {Path.GetFileName(stored)}\n");
        WriteSmallAtomic(JsonFile(pointFile), JsonSerializer.Serialize(meta, SidecarJson.Default.PointSidecar) + "\n");
        File.Move(Partial(pointFile, codec), stored, overwrite: false);
        Posix.FsyncDirectory(Path.GetDirectoryName(pointFile)!);
    }

    public static PointSidecar? ReadSidecar(string pointFile)
    {
        var path = JsonFile(pointFile);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize(File.ReadAllText(path), SidecarJson.Default.PointSidecar); }
        catch (JsonException) { return null; }
    }

    /// <summary>The checksum in <c>NNNNNN.sha256</c>, or null when absent or malformed.</summary>
    public static string? ReadSha(string pointFile)
    {
        var path = ShaFile(pointFile);
        if (!File.Exists(path)) return null;
        var first = File.ReadLines(path).FirstOrDefault()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return first is { Length: >= 1 } && first[0].Length == 64 && first[0].All(char.IsAsciiHexDigitLower) ? first[0] : null;
    }

    private static void WriteSmallAtomic(string path, string content)
    {
        var tmp = path + ".partial";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(Encoding.UTF8.GetBytes(content));
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>SHA-256 of a whole file, read in 1 MiB blocks.</summary>
    public static async Task<string> Sha256OfFileAsync(string path, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(fs, ct));
    }
}
