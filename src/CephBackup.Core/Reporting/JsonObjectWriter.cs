using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CephBackup.Core.Reporting;

/// <summary>
/// Writes the <c>--json</c> documents, most of them anonymous objects, by reading public properties: what
/// System.Text.Json's reflection serializer did for them, without the code it generates at run time, which
/// a native (Native AOT) binary cannot do; its source generator cannot see anonymous types. The members it
/// reads survive trimming because src/CephBackup/CephBackup.csproj roots both of our assemblies; only our
/// report types, anonymous objects, collections and BCL scalars reach it. Tests hold its bytes equal to
/// System.Text.Json's for every document.
/// </summary>
public sealed class JsonObjectWriter
{
    /// <summary>camelCase names, enums as camelCase strings, DateTime as UTC with milliseconds, indented, relaxed escaping.</summary>
    public static readonly JsonObjectWriter Output = new(indented: true, enumsAsStrings: true, utcDates: true, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    /// <summary>camelCase names and otherwise System.Text.Json's defaults: one line, enums as numbers, default escaping.</summary>
    public static readonly JsonObjectWriter Compact = new(indented: false, enumsAsStrings: false, utcDates: false, JavaScriptEncoder.Default);

    private readonly JsonWriterOptions _options;
    private readonly bool _enumsAsStrings;
    private readonly bool _utcDates;

    private JsonObjectWriter(bool indented, bool enumsAsStrings, bool utcDates, JavaScriptEncoder encoder)
    {
        _options = new JsonWriterOptions { Indented = indented, Encoder = encoder };
        _enumsAsStrings = enumsAsStrings;
        _utcDates = utcDates;
    }

    public string Serialize(object? value)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, _options)) Write(w, value);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private void Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case Enum e: WriteEnum(w, e); break;
            case int or long or short or sbyte or byte or ushort or uint: w.WriteNumberValue(System.Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: w.WriteNumberValue(u); break;
            case double d: w.WriteNumberValue(d); break;
            case float f: w.WriteNumberValue(f); break;
            case decimal m: w.WriteNumberValue(m); break;
            case DateTime t when _utcDates: w.WriteStringValue(UtcText(t)); break;
            case DateTime t: w.WriteStringValue(t); break;
            case DateTimeOffset t: w.WriteStringValue(t); break;
            case TimeSpan t: w.WriteStringValue(t.ToString("c", CultureInfo.InvariantCulture)); break;
            case Guid g: w.WriteStringValue(g); break;
            case char c: w.WriteStringValue(c.ToString()); break;
            case IDictionary d: WriteDictionary(w, d); break;
            case IEnumerable items:
                w.WriteStartArray();
                foreach (var item in items) Write(w, item);
                w.WriteEndArray();
                break;
            default: WriteObject(w, value); break;
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Only our own types and anonymous objects reach here; both assemblies are trimmer roots (see the class comment).")]
    private void WriteObject(Utf8JsonWriter w, object value)
    {
        w.WriteStartObject();
        foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!p.CanRead || p.GetIndexParameters().Length > 0 || p.GetMethod is not { IsPublic: true }) continue;
            w.WritePropertyName(JsonNamingPolicy.CamelCase.ConvertName(p.Name));
            Write(w, p.GetValue(value));
        }
        w.WriteEndObject();
    }

    private void WriteDictionary(Utf8JsonWriter w, IDictionary d)
    {
        w.WriteStartObject();
        foreach (DictionaryEntry e in d)
        {
            w.WritePropertyName(System.Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "");
            Write(w, e.Value);
        }
        w.WriteEndObject();
    }

    private void WriteEnum(Utf8JsonWriter w, Enum e)
    {
        var name = e.ToString();
        // An undefined value has no name (ToString gives its number): System.Text.Json writes the number too.
        if (!_enumsAsStrings || name.Length == 0 || char.IsDigit(name[0]) || name[0] == '-')
            w.WriteNumberValue(System.Convert.ToInt64(e, CultureInfo.InvariantCulture));
        else
            w.WriteStringValue(string.Join(", ", name.Split(", ").Select(JsonNamingPolicy.CamelCase.ConvertName)));
    }

    /// <summary>The catalog hands out UTC (DateTimeKind=Utc); an Unspecified value is UTC by that same contract.</summary>
    internal static string UtcText(DateTime value) =>
        (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc))
        .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
