using System.Globalization;

namespace CephBackup.IntegrationTests.Property;

/// <summary>
/// Issue #17: random sequences of writes, backups, SIGKILLs, lost snapshots and damaged files against the
/// real services; every listed point must restore bit-exact (docs/RELIABILITY.md, "The property test").
/// </summary>
public class PropertyTests
{
    /// <summary>Seeds run by CI: chosen so the whole test stays under 5 minutes on a 2-core machine.</summary>
    public const int CiSeeds = 2;

    /// <summary><c>CEPHBACKUP_PROPERTY_SEED=S</c> runs only S; <c>CEPHBACKUP_PROPERTY_SEEDS=N</c> runs 1..N; else 1..<see cref="CiSeeds"/>.</summary>
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (Environment.GetEnvironmentVariable("CEPHBACKUP_PROPERTY_SEED") is { Length: > 0 } one)
        {
            data.Add(int.Parse(one, CultureInfo.InvariantCulture));
            return data;
        }
        var n = Environment.GetEnvironmentVariable("CEPHBACKUP_PROPERTY_SEEDS") is { Length: > 0 } s
            ? int.Parse(s, CultureInfo.InvariantCulture)
            : CiSeeds;
        for (var seed = 1; seed <= n; seed++) data.Add(seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_listed_point_restores_bit_exact_after_random_writes_backups_kills_and_damage(int seed) =>
        await PropertyRun.RunAsync(Scenario.Generate(seed));
}
