using System.Text.RegularExpressions;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;

namespace CephBackup.Core.Planning;

/// <summary>Snapshot names exactly as the PHP tool made them: <c>&lt;prefix&gt;-&lt;chain:000000&gt;-&lt;point:000000&gt;</c>.</summary>
public static class SnapshotNames
{
    /// <summary>A job whose snap-prefix is NULL gets a default derived from its id, so it never changes.</summary>
    public static string EffectivePrefix(BackupJob job) =>
        string.IsNullOrWhiteSpace(job.SnapPrefix) ? $"cbk{job.Id}" : job.SnapPrefix.Trim();

    public static string Of(string prefix, int chain, int point) => $"{prefix}-{chain:D6}-{point:D6}";

    /// <summary>Parses a snapshot name of this prefix; anything else (another job's, a user's) gives false.</summary>
    public static bool TryParse(string prefix, string name, out int chain, out int point)
    {
        chain = point = 0;
        var m = Regex.Match(name, "^" + Regex.Escape(prefix) + @"-([0-9]{6})-([0-9]{6})\z", RegexOptions.CultureInvariant);
        if (!m.Success) return false;
        chain = int.Parse(m.Groups[1].Value);
        point = int.Parse(m.Groups[2].Value);
        return true;
    }

    public static void ValidatePrefix(string prefix)
    {
        if (!Names.IsValid(prefix) || prefix.Length > 10)
            throw new CephBackupException(ExitCode.ConfigError,
                $"invalid snap-prefix '{Names.Printable(prefix)}': 1-10 of A-Z a-z 0-9 . _ + : -");
    }
}
