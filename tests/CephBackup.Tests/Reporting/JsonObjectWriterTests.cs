using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CephBackup.Core.Reporting;

namespace CephBackup.Tests.Reporting;

/// <summary>
/// The --json documents were written by System.Text.Json's reflection serializer before the tool became a
/// native binary: <see cref="JsonObjectWriter"/> must give the same bytes, so scripts reading them see no change.
/// </summary>
public class JsonObjectWriterTests
{
    // The options OutputJson and the restore verbs used (git history of Reporting/OutputJson.cs).
    private static readonly JsonSerializerOptions OutputOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new UtcConverter() },
    };
    private static readonly JsonSerializerOptions CompactOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private sealed class UtcConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDateTime();
        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue((value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc))
                .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    private enum Colour { Red, DarkBlue }

    public static TheoryData<string, object?> Documents()
    {
        var t0 = new DateTimeOffset(2026, 11, 30, 21, 5, 7, 123, TimeSpan.Zero);
        var image = new ImageReport
        {
            Vm = "web+1 <ä>", Image = "rbd/disk\"1\"", Start = t0, End = t0.AddSeconds(12.3456), SizeBytes = 1L << 40, Type = "INC",
            RestorePoint = "000001-000002", Result = ImageResult.Failed, Detail = null, Consistency = "crash", Snapshot = "s", FromSnapshot = null,
        };
        var job = new JobReport
        {
            JobName = "nightly", Result = JobResult.AlreadyRunning, Warnings = ["w1", "w2"], Images = [image, image with { Result = ImageResult.Success }],
            Start = t0, End = t0.AddMinutes(1), Plan = new JobPlanSummary("due", "incremental", 6, "cbk1", 2), Cancelled = true,
        };
        return new()
        {
            { "scalars", new { i = 1, l = long.MaxValue, neg = -5, d = 0.1, whole = 3.0, big = 1e21, small = 1.5e-7, dec = 12.50m, f = 0.25f, b = true, s = (string?)null, u = ulong.MaxValue } },
            { "nullable", new { a = (int?)null, b = (int?)7, c = (double?)null, d = (long?)42 } },
            { "enums", new { c = Colour.DarkBlue, undefined = (Colour)7, n = (Colour?)null, list = new[] { Colour.Red, Colour.DarkBlue } } },
            { "times", new { utc = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc), unspecified = new DateTime(2026, 1, 2, 3, 4, 5), off = t0, span = TimeSpan.FromSeconds(90.5), nul = (DateTime?)null } },
            { "text", new { plus = "ssd+1", html = "<b>&'", quote = "a\"b\\c", ctrl = "tab\tnl\n", unicode = "Größe ✓ 日本", empty = "" } },
            { "nested", new { error = new { exitCode = 13, message = "catalog", logFile = (string?)null }, list = new[] { new { a = 1 }, new { a = 2 } }, none = Array.Empty<int>() } },
            { "dictionary", new { map = new Dictionary<string, int> { ["b"] = 2, ["A"] = 1 } } },
            { "objects as object", new object[] { new { id = 1, name = "j" }, "x", 5 } },
            { "report records", job },
            { "exec document", new { exitCode = 4, ReportFailed = false, Cancelled = true, Jobs = new[] { job } } },
            { "top-level null", null },
            { "top-level list", new List<string> { "a", "b" } },
        };
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Output_style_matches_System_Text_Json(string name, object? doc)
    {
        Assert.NotNull(name);
        Assert.Equal(JsonSerializer.Serialize(doc, OutputOptions), JsonObjectWriter.Output.Serialize(doc));
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Compact_style_matches_System_Text_Json_defaults(string name, object? doc)
    {
        Assert.NotNull(name);
        Assert.Equal(JsonSerializer.Serialize(doc, CompactOptions), JsonObjectWriter.Compact.Serialize(doc));
    }

    [Fact]
    public void OutputJson_ends_with_a_newline_and_keeps_the_error_shape() =>
        Assert.Equal("{\n  \"error\": {\n    \"exitCode\": 13,\n    \"message\": \"m\",\n    \"logFile\": null\n  }\n}\n",
            OutputJson.Error(13, "m", null).ReplaceLineEndings("\n"));
}
