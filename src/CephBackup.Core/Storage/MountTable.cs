namespace CephBackup.Core.Storage;

/// <summary>The kernel's mount table; exact mount-point matches only (the PHP tool grep'ed substrings).</summary>
public sealed class MountTable(string mountsFile = "/proc/self/mounts")
{
    public IReadOnlyList<string> MountPoints() =>
        File.ReadLines(mountsFile)
            .Select(l => l.Split(' '))
            .Where(f => f.Length >= 2)
            .Select(f => Unescape(f[1]))
            .ToList();

    /// <summary>Null when fine, else why the job must not run.</summary>
    public string? Check(string mountPoint, string path)
    {
        var mp = mountPoint.Length > 1 ? mountPoint.TrimEnd('/') : mountPoint;
        if (!MountPoints().Contains(mp, StringComparer.Ordinal))
            return $"mountpoint {mountPoint} is not mounted";
        var full = Path.GetFullPath(path);
        if (mp != "/" && full != mp && !full.StartsWith(mp + "/", StringComparison.Ordinal))
            return $"path {path} is not inside mountpoint {mountPoint}";
        return null;
    }

    // /proc/mounts escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s.Substring(at, 3).All(c => c is >= '0' and <= '7');
}
