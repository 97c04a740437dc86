using System.Text.RegularExpressions;

namespace CephBackup.Core.Ceph;

/// <summary>A pool-qualified RBD image name that has passed <see cref="Names"/> validation.</summary>
public sealed record ImageRef(string Pool, string Name)
{
    public override string ToString() => $"{Pool}/{Name}";
    public string At(string snapshot) => $"{Pool}/{Name}@{snapshot}";

    /// <summary>Parses <c>vms.image</c>: <c>image</c> (in <paramref name="defaultPool"/>) or <c>pool/image</c>.</summary>
    public static ImageRef Parse(string value, string defaultPool)
    {
        var parts = value.Split('/');
        var (pool, name) = parts.Length switch
        {
            1 => (defaultPool, parts[0]),
            2 => (parts[0], parts[1]),
            _ => throw new CephBackupException(ExitCode.InvalidInput, $"invalid image name '{Names.Printable(value)}': use image or pool/image"),
        };
        Names.RequireValid(pool, "pool");
        Names.RequireValid(name, "image");
        return new ImageRef(pool, name);
    }
}

/// <summary>
/// One rule for every name that ends up in an rbd argument, a folder name or a snapshot name.
/// Deliberately narrower than what Ceph accepts: names come from a database anyone may edit, and a
/// name with '/', '..', spaces or shell characters must never become a path or an argument.
/// </summary>
public static partial class Names
{
    [GeneratedRegex(@"^[A-Za-z0-9_+:][A-Za-z0-9._+:-]{0,127}\z")]
    private static partial Regex Valid();

    public static bool IsValid(string? value) => value is not null && Valid().IsMatch(value) && value != "." && value != "..";

    public static void RequireValid(string? value, string what)
    {
        if (!IsValid(value))
            throw new CephBackupException(ExitCode.InvalidInput,
                $"invalid {what} name '{Printable(value)}': use 1-128 of A-Z a-z 0-9 . _ + : - (not starting with . or -)");
    }

    /// <summary>Makes a hostile value safe to print on one line.</summary>
    public static string Printable(string? value)
    {
        if (value is null) return "(null)";
        var s = new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return s.Length > 80 ? s[..80] + "…" : s;
    }
}
