using System.Text.Json;
using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;
using CephBackup.IntegrationTests.Retention;

namespace CephBackup.IntegrationTests.Ops;

/// <summary><c>retention</c>, <c>trimsnap</c> and <c>verify</c> with <c>--json</c> through the real CLI host (docs/JSON.md).</summary>
public class MaintenanceJsonCliTests : BedTest
{
    private CliRun _cli = null!;
    private string _image = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _cli = OpsBed.Cli(_bed);
        // max-inc 1, three runs: chain 1 = full + incremental, chain 2 = full.
        var job = await _bed.AddJobAsync("JJ", maxInc: 1, retention: 1, maxSnaps: 1);
        _image = await _bed.AddImageAsync(job, "vj");
        for (var i = 0; i < 3; i++)
        {
            if (i > 0) await BackupBed.ChangeAsync(_image);
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        }
    }

    /// <summary>Runs the verb; stdout must be exactly one JSON document (JsonDocument refuses trailing text).</summary>
    private async Task<JsonElement> Json(int exitCode, params string[] args)
    {
        var r = await _cli.RunAsync(args);
        Assert.True(r.ExitCode == exitCode, $"{string.Join(' ', args)} -> {r.ExitCode}, wanted {exitCode}: {r.Stderr}{r.Stdout}");
        try { return JsonDocument.Parse(r.Stdout).RootElement.Clone(); }
        catch (JsonException e) { throw new Xunit.Sdk.XunitException($"{string.Join(' ', args)}: stdout is not one JSON document ({e.Message}):\n{r.Stdout}"); }
    }

    private static void IsError(JsonElement j, ExitCode code, string message)
    {
        Assert.Equal((int)code, j.GetProperty("error").GetProperty("exitCode").GetInt32());
        Assert.Contains(message, j.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Retention_json_plans_then_deletes_the_old_chain()
    {
        var dry = await Json(0, "retention", "--dry-run", "--json");
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        var planned = dry.GetProperty("chains").EnumerateArray().ToDictionary(c => c.GetProperty("chain").GetInt32(), c => c.GetProperty("result").GetString());
        Assert.Equal(new Dictionary<int, string?> { [1] = "wouldDelete", [2] = "kept" }, planned);
        Assert.True(Directory.Exists(Path.Combine(_bed.Root, "JJ", "vj", _image, "000001")));

        var run = await Json(0, "retention", "--json");
        Assert.False(run.GetProperty("dryRun").GetBoolean());
        Assert.Equal(1, run.GetProperty("deleted").GetInt32());
        var deleted = run.GetProperty("chains").EnumerateArray().Single(c => c.GetProperty("result").GetString() == "deleted");
        Assert.Equal(1, deleted.GetProperty("chain").GetInt32());
        Assert.Equal(_image, deleted.GetProperty("image").GetString());
        Assert.True(deleted.GetProperty("bytesFreed").GetInt64() > 0);
        Assert.Equal(deleted.GetProperty("bytesFreed").GetInt64(), run.GetProperty("bytesFreed").GetInt64());
        Assert.False(Directory.Exists(Path.Combine(_bed.Root, "JJ", "vj", _image, "000001")));

        IsError(await Json((int)ExitCode.InvalidInput, "retention", "--job", "nope", "--json"), ExitCode.InvalidInput, "unknown job 'nope'");
    }

    [Fact]
    public async Task TrimSnap_json_lists_each_snapshot_and_matches_ceph()
    {
        var dry = await Json(0, "trimsnap", "--dry-run", "--json");
        var planned = dry.GetProperty("images").EnumerateArray().Single().GetProperty("snapshots").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("result").GetString());
        Assert.Equal(3, planned.Count);
        Assert.Equal("kept", planned["BK-000002-000000"]);
        Assert.Equal(3, (await ByHand.SnapshotsAsync(_image)).Count(s => s.StartsWith("BK-", StringComparison.Ordinal)));

        var run = await Json(0, "trimsnap", "--json");
        var img = run.GetProperty("images").EnumerateArray().Single();
        Assert.Equal("JJ", img.GetProperty("job").GetString());
        Assert.Equal(JsonValueKind.Null, img.GetProperty("error").ValueKind);
        var gone = img.GetProperty("snapshots").EnumerateArray().Where(s => s.GetProperty("result").GetString() == "deleted")
            .Select(s => s.GetProperty("name").GetString()!).ToList();
        Assert.Equal(planned.Where(p => p.Value == "wouldDelete").Select(p => p.Key).Order(), gone.Order());
        Assert.Equal(gone.Count, img.GetProperty("deleted").GetInt32());
        Assert.Equal(gone.Count, run.GetProperty("deleted").GetInt32());
        Assert.Equal(["BK-000002-000000"], (await ByHand.SnapshotsAsync(_image)).Where(s => s.StartsWith("BK-", StringComparison.Ordinal)));

        IsError(await Json((int)ExitCode.InvalidInput, "trimsnap", "--job", "nope", "--json"), ExitCode.InvalidInput, "unknown job 'nope'");
    }

    [Fact]
    public async Task Verify_json_counts_points_and_names_a_damaged_one()
    {
        var ok = await Json(0, "verify", "--json");
        Assert.Equal(3, ok.GetProperty("checked").GetInt32());
        Assert.Equal(3, ok.GetProperty("ok").GetInt32());
        Assert.Equal(0, ok.GetProperty("failures").GetArrayLength());

        var file = Path.Combine(_bed.Root, "JJ", "vj", _image, "000001", "000001");
        await using (var f = new FileStream(file, FileMode.Open, FileAccess.Write)) { f.Position = f.Length / 2; f.WriteByte(0xA5); f.WriteByte(0x5A); }
        var bad = await Json((int)ExitCode.VerificationFailed, "verify", "--vm", "vj", "--json");
        Assert.Equal(1, bad.GetProperty("failed").GetInt32());
        Assert.Equal("vj", bad.GetProperty("selection").GetProperty("vm").GetString());
        var failure = bad.GetProperty("failures").EnumerateArray().Single();
        Assert.Equal("000001-000001", failure.GetProperty("restorePoint").GetString());
        Assert.Equal(_image, failure.GetProperty("image").GetString());

        IsError(await Json((int)ExitCode.InvalidInput, "verify", "--vm", "nope", "--json"), ExitCode.InvalidInput, "unknown VM 'nope'");
    }
}
