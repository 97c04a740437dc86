using System.Text.Json;
using System.Text.Json.Serialization;

namespace CephBackup.Core.Reporting;

/// <summary>The one JSON style of every <c>--json</c> output: camelCase, indented, enums as strings, times in UTC ISO 8601.</summary>
public static class OutputJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // Output is for terminals and scripts, never embedded in HTML: keep names like "ssd+1" readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new UtcConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options) + "\n";

    /// <summary>The error object of a failed verb under <c>--json</c>.</summary>
    public static string Error(int exitCode, string message, string? logFile) =>
        Serialize(new { error = new { exitCode, message, logFile } });

    /// <summary>The catalog hands out UTC (DateTimeKind=Utc); an Unspecified value is UTC by that same contract.</summary>
    private sealed class UtcConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTime().ToUniversalTime();

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue((value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc))
                .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
