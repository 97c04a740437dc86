namespace CephBackup.IntegrationTests.Property;

/// <summary>The generator itself (no services): a seed must replay exactly.</summary>
public class ScenarioTests
{
    [Fact]
    public void A_seed_always_yields_the_same_job_and_actions_and_different_seeds_differ()
    {
        var a = Scenario.Generate(42);
        var b = Scenario.Generate(42);
        Assert.Equal(a.Describe(), b.Describe());
        Assert.Equal(a.Actions.Select(x => x.ToString()), b.Actions.Select(x => x.ToString()));
        Assert.NotEqual(a.Actions.Select(x => x.ToString()), Scenario.Generate(43).Actions.Select(x => x.ToString()));
    }

    [Fact]
    public void Scenarios_have_20_to_40_actions_inside_the_images_and_every_kind_occurs_across_seeds()
    {
        var kinds = new HashSet<Type>();
        for (var seed = 1; seed <= 50; seed++)
        {
            var s = Scenario.Generate(seed);
            Assert.InRange(s.Actions.Count, 20, 40);
            Assert.InRange(s.MaxInc, 0, 4);
            Assert.InRange(s.Retention, 1, 3);
            foreach (var e in s.Actions.OfType<WriteAction>().SelectMany(w => w.Extents).Concat(s.InitialData.SelectMany(d => d)))
                Assert.True(e.Offset >= 0 && e.Length > 0 && e.Offset + e.Length <= Scenario.ImageSize, e.ToString());
            kinds.UnionWith(s.Actions.Select(x => x.GetType()));
        }
        Assert.Equal(8, kinds.Count);
    }
}
