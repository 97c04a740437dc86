using System.Text.RegularExpressions;

namespace CephBackup.Core.Planning;

/// <summary>The restore-point syntax of the PHP tool: <c>&lt;chain:000000&gt;-&lt;point:000000&gt;</c>.</summary>
public readonly record struct RestorePoint(int Chain, int Point)
{
    public override string ToString() => $"{Chain:D6}-{Point:D6}";

    public static bool TryParse(string? s, out RestorePoint rp)
    {
        rp = default;
        if (s is null) return false;
        var m = Regex.Match(s, @"^([0-9]{6})-([0-9]{6})\z", RegexOptions.CultureInvariant);
        if (!m.Success) return false;
        rp = new RestorePoint(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
        return rp.Chain >= 1;
    }

    public static RestorePoint Parse(string? s) => TryParse(s, out var rp)
        ? rp
        : throw new CephBackupException(ExitCode.InvalidInput,
            $"invalid restore point '{Ceph.Names.Printable(s)}': expected CHAIN-POINT like 000001-000003 (see 'cephbackup list VM')");
}
