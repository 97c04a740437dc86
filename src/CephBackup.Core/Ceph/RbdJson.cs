using System.Globalization;
using System.Text.Json;

namespace CephBackup.Core.Ceph;

/// <summary>
/// Parses rbd's <c>--format json</c> output. Any surprise (truncated output from a killed rbd, a field
/// renamed by a Ceph upgrade) becomes one clear <see cref="CephBackupException"/>, never a raw
/// JsonException or NullReferenceException deep inside a backup run.
/// </summary>
internal static class RbdJson
{
    public static RbdImageInfo ParseInfo(string json) => Parse(json, "info", root =>
    {
        var features = Property(root, "features", JsonValueKind.Array).EnumerateArray()
            .Select(f => f.ValueKind == JsonValueKind.String ? f.GetString()! : throw Unexpected("info", "a feature is not a string"))
            .ToList();
        return new RbdImageInfo(
            String(root, "name", "info"),
            Int64(root, "size", "info"),
            features,
            checked((int)Int64(root, "snapshot_count", "info")));
    });

    public static IReadOnlyList<string> ParseImageList(string json) => Parse(json, "ls", root =>
    {
        if (root.ValueKind != JsonValueKind.Array) throw Unexpected("ls", "not a JSON array");
        return (IReadOnlyList<string>)root.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Unexpected("ls", "an image name is not a string"))
            .ToList();
    });

    public static IReadOnlyList<RbdLock> ParseLocks(string json) => Parse(json, "lock ls", root =>
    {
        if (root.ValueKind != JsonValueKind.Array) throw Unexpected("lock ls", "not a JSON array");
        return (IReadOnlyList<RbdLock>)root.EnumerateArray()
            .Select(l => new RbdLock(String(l, "id", "lock ls"), String(l, "locker", "lock ls"), String(l, "address", "lock ls")))
            .ToList();
    });

    public static IReadOnlyList<RbdSnapshot> ParseSnapshots(string json) => Parse(json, "snap ls", root =>
    {
        if (root.ValueKind != JsonValueKind.Array) throw Unexpected("snap ls", "not a JSON array");
        return (IReadOnlyList<RbdSnapshot>)root.EnumerateArray()
            .Select(s => new RbdSnapshot(
                Int64(s, "id", "snap ls"),
                String(s, "name", "snap ls"),
                Int64(s, "size", "snap ls"),
                // rbd prints "true"/"false" as strings; accept a real bool too in case a release fixes that.
                Property(s, "protected", null) switch
                {
                    { ValueKind: JsonValueKind.String } p when p.GetString() == "true" => true,
                    { ValueKind: JsonValueKind.String } p when p.GetString() == "false" => false,
                    { ValueKind: JsonValueKind.True } => true,
                    { ValueKind: JsonValueKind.False } => false,
                    _ => throw Unexpected("snap ls", "'protected' is neither \"true\" nor \"false\""),
                },
                s.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.String
                    ? ParseTimestamp(ts.GetString()!)
                    : null))
            .OrderBy(s => s.Id)
            .ToList();
    });

    /// <summary>
    /// rbd prints ctime-style local time ("Thu Nov  5 03:05:36 2026"); RbdCli runs it with TZ=UTC.
    /// The weekday is ignored so that a mismatch cannot reject an otherwise exact time. Null when unreadable:
    /// a timestamp is informational and must not fail a listing.
    /// </summary>
    public static DateTimeOffset? ParseTimestamp(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5) return null;
        var rest = string.Join(' ', parts[1..]);
        return DateTimeOffset.TryParseExact(rest, "MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;
    }

    private static T Parse<T>(string json, string what, Func<JsonElement, T> read)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return read(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw Unexpected(what, e.Message, e);
        }
    }

    private static JsonElement Property(JsonElement obj, string name, JsonValueKind? kind)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new InvalidOperationException("expected a JSON object");
        if (!obj.TryGetProperty(name, out var value)) throw new InvalidOperationException($"'{name}' is missing");
        if (kind is { } k && value.ValueKind != k) throw new InvalidOperationException($"'{name}' is {value.ValueKind}, expected {k}");
        return value;
    }

    private static string String(JsonElement obj, string name, string what) =>
        Property(obj, name, JsonValueKind.String).GetString() ?? throw Unexpected(what, $"'{name}' is null");

    private static long Int64(JsonElement obj, string name, string what) =>
        Property(obj, name, JsonValueKind.Number).TryGetInt64(out var v) ? v : throw Unexpected(what, $"'{name}' is not an integer");

    private static CephBackupException Unexpected(string what, string detail, Exception? inner = null)
    {
        return new CephBackupException(ExitCode.CephError, $"unexpected rbd output: {what}: {Names.Printable(detail)}", inner);
    }
}
