namespace CephBackup.Core.Reporting;

/// <summary>The one JSON style of every <c>--json</c> output: camelCase, indented, enums as strings, times in UTC ISO 8601.</summary>
public static class OutputJson
{
    public static string Serialize(object? value) => JsonObjectWriter.Output.Serialize(value) + "\n";

    /// <summary>The error object of a failed verb under <c>--json</c>.</summary>
    public static string Error(int exitCode, string message, string? logFile) =>
        Serialize(new { error = new { exitCode, message, logFile } });
}
