using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>
/// Named parameters of one command, read from the public properties of an object (usually an anonymous
/// one: <c>SqlArgs.Of(new { jobId, utc })</c>). The generic factory is what keeps those properties in a
/// natively compiled binary: the compiler sees the type here, where an <c>object</c> would hide it.
/// </summary>
internal sealed class SqlArgs
{
    public IReadOnlyList<KeyValuePair<string, object?>> Values { get; }

    private SqlArgs(IReadOnlyList<KeyValuePair<string, object?>> values) => Values = values;

    public static SqlArgs Of<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(T values) where T : notnull =>
        new(typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => KeyValuePair.Create(p.Name, p.GetValue(values)))
            .ToList());
}

/// <summary>One command: text, parameters, transaction and cancellation (the shape Dapper's had).</summary>
internal readonly struct CommandDefinition(string commandText, SqlArgs? parameters = null, MySqlTransaction? transaction = null,
    CancellationToken cancellationToken = default)
{
    public string CommandText { get; } = commandText;
    public SqlArgs? Parameters { get; } = parameters;
    public MySqlTransaction? Transaction { get; } = transaction;
    public CancellationToken CancellationToken { get; } = cancellationToken;
}

/// <summary>
/// The part of Dapper the catalog used, without code generated at run time, so that cephbackup compiles to
/// a native binary (Native AOT) whose start costs milliseconds instead of a JIT's few hundred: rows map to
/// properties by column name (case-insensitive, as Dapper), value tuples by position, single values from
/// the first column; a list parameter expands <c>IN @ids</c> to <c>IN (@ids0, @ids1, …)</c>.
/// </summary>
internal static partial class SqlCommands
{
    private const DynamicallyAccessedMemberTypes Mapped =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicFields;

    public static Task<int> ExecuteAsync(this MySqlConnection conn, string sql) => conn.ExecuteAsync(new CommandDefinition(sql));

    public static async Task<int> ExecuteAsync(this MySqlConnection conn, CommandDefinition def)
    {
        await using var cmd = Build(conn, def);
        return await cmd.ExecuteNonQueryAsync(def.CancellationToken);
    }

    public static async Task<T?> ExecuteScalarAsync<[DynamicallyAccessedMembers(Mapped)] T>(this MySqlConnection conn, CommandDefinition def)
    {
        await using var cmd = Build(conn, def);
        var value = await cmd.ExecuteScalarAsync(def.CancellationToken);
        return value is null or DBNull ? default : (T?)ConvertTo(value, typeof(T));
    }

    public static async Task<List<T>> QueryAsync<[DynamicallyAccessedMembers(Mapped)] T>(this MySqlConnection conn, CommandDefinition def)
    {
        await using var cmd = Build(conn, def);
        await using var reader = await cmd.ExecuteReaderAsync(def.CancellationToken);
        var rows = new List<T>();
        var map = RowMapper<T>(reader);
        while (await reader.ReadAsync(def.CancellationToken)) rows.Add(map(reader));
        return rows;
    }

    public static async Task<T?> QueryFirstOrDefaultAsync<[DynamicallyAccessedMembers(Mapped)] T>(this MySqlConnection conn, CommandDefinition def) =>
        (await conn.QueryAsync<T>(def)) is [var first, ..] ? first : default;

    public static async Task<T?> QuerySingleOrDefaultAsync<[DynamicallyAccessedMembers(Mapped)] T>(this MySqlConnection conn, CommandDefinition def) =>
        await conn.QueryAsync<T>(def) switch
        {
            [] => default,
            [var only] => only,
            _ => throw new InvalidOperationException("Sequence contains more than one element"),
        };

    public static async Task<T> QuerySingleAsync<[DynamicallyAccessedMembers(Mapped)] T>(this MySqlConnection conn, CommandDefinition def) =>
        await conn.QueryAsync<T>(def) switch
        {
            [var only] => only,
            [] => throw new InvalidOperationException("Sequence contains no elements"),
            _ => throw new InvalidOperationException("Sequence contains more than one element"),
        };

    private static MySqlCommand Build(MySqlConnection conn, CommandDefinition def)
    {
        var sql = def.CommandText;
        var cmd = new MySqlCommand { Connection = conn, Transaction = def.Transaction };
        foreach (var (name, value) in def.Parameters?.Values ?? [])
        {
            if (value is IEnumerable list and not string and not byte[])
            {
                var names = new List<string>();
                foreach (var item in list)
                {
                    var n = $"@{name}{names.Count}";
                    names.Add(n);
                    cmd.Parameters.AddWithValue(n, ParameterValue(item));
                }
                // As Dapper: an empty list matches nothing rather than being a syntax error.
                var expansion = names.Count == 0 ? $"(SELECT @{name} WHERE 1 = 0)" : $"({string.Join(", ", names)})";
                if (names.Count == 0) cmd.Parameters.AddWithValue($"@{name}", null);
                sql = Regex.Replace(sql, $@"@{Regex.Escape(name)}(?![A-Za-z0-9_])", expansion.Replace("$", "$$"), RegexOptions.CultureInvariant);
            }
            else cmd.Parameters.AddWithValue("@" + name, ParameterValue(value));
        }
        cmd.CommandText = sql;
        return cmd;
    }

    // Enums travel as their number, as Dapper sent them.
    private static object? ParameterValue(object? value) =>
        value is Enum e ? System.Convert.ChangeType(e, Enum.GetUnderlyingType(e.GetType()), CultureInfo.InvariantCulture) : value;

    private static Func<MySqlDataReader, T> RowMapper<[DynamicallyAccessedMembers(Mapped)] T>(MySqlDataReader reader)
    {
        var type = typeof(T);
        if (IsSingleValue(type))
            return r => r.IsDBNull(0) ? default! : (T)ConvertTo(r.GetValue(0), type)!;
        if (type.IsValueType && type.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal))
        {
            var fields = Enumerable.Range(1, reader.FieldCount).Select(i => type.GetField($"Item{i}")).TakeWhile(f => f is not null).ToArray();
            return r =>
            {
                object boxed = default(T)!;
                for (var i = 0; i < fields.Length; i++)
                    if (!r.IsDBNull(i)) fields[i]!.SetValue(boxed, ConvertTo(r.GetValue(i), fields[i]!.FieldType));
                return (T)boxed;
            };
        }
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        if (type.GetConstructor(Type.EmptyTypes) is null)
            return ConstructorMapper<T>(names);
        var byName = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var columns = names.Select((name, i) => (Ordinal: i, Property: byName.GetValueOrDefault(name)))
            .Where(c => c.Property is not null).ToArray();
        return r =>
        {
            var row = Activator.CreateInstance<T>();
            foreach (var (ordinal, property) in columns)
                if (!r.IsDBNull(ordinal)) property!.SetValue(row, ConvertTo(r.GetValue(ordinal), property.PropertyType));
            return row;
        };
    }

    /// <summary>A positional record: its widest public constructor, each parameter filled from the column of its name.</summary>
    private static Func<MySqlDataReader, T> ConstructorMapper<[DynamicallyAccessedMembers(Mapped)] T>(string[] names)
    {
        var ctor = typeof(T).GetConstructors().MaxBy(c => c.GetParameters().Length)
                   ?? throw new InvalidOperationException($"{typeof(T).Name} has no public constructor to map rows to");
        var parameters = ctor.GetParameters();
        var ordinals = parameters.Select(p => Array.FindIndex(names, n => string.Equals(n, p.Name, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (Array.IndexOf(ordinals, -1) is var missing and >= 0)
            throw new InvalidOperationException($"no column {parameters[missing].Name} for {typeof(T).Name}");
        return r => (T)ctor.Invoke(parameters.Select((p, i) => r.IsDBNull(ordinals[i])
            ? (p.ParameterType.IsValueType && Nullable.GetUnderlyingType(p.ParameterType) is null
                ? throw new InvalidOperationException($"column {p.Name} is NULL, {typeof(T).Name} does not allow it") : null)
            : ConvertTo(r.GetValue(ordinals[i]), p.ParameterType)).ToArray());
    }

    private static bool IsSingleValue(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTime)
               || t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(Guid) || t == typeof(byte[]);
    }

    /// <summary>MariaDB's column types rarely match the model's (BIGINT for COUNT, TINYINT for flags): convert as Dapper did.</summary>
    internal static object? ConvertTo(object? value, Type target)
    {
        if (value is null or DBNull) return null;
        var t = Nullable.GetUnderlyingType(target) ?? target;
        if (t.IsInstanceOfType(value)) return value;
        if (t.IsEnum)
            return value is string s ? Enum.Parse(t, s, ignoreCase: true) : Enum.ToObject(t, value);
        return System.Convert.ChangeType(value, t, CultureInfo.InvariantCulture);
    }
}
