using System.Text.Json;
using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Tests.Reporting;

/// <summary>The --json documents of retention, trimsnap and verify, parsed back (docs/JSON.md).</summary>
public class MaintenanceJsonTests
{
    private static JsonElement Parse(string json)
    {
        Assert.EndsWith("\n", json);
        return JsonDocument.Parse(json).RootElement;
    }

    [Fact]
    public void Retention_has_every_chain_with_exact_bytes_and_result_names()
    {
        var rows = new List<RetentionRow>
        {
            new() { Job = "J1", Vm = "vm1", Image = "ssd/img+1", Chain = 1, Result = RetentionResult.Deleted, BytesFreed = 5_000_001, Detail = "older than the 2 kept chains" },
            new() { Job = "J1", Vm = "vm1", Image = "ssd/img+1", Chain = 2, Result = RetentionResult.KeptImmutable, Detail = "immutable" },
            new() { Job = "J2", Result = RetentionResult.ConfigError, Detail = "retention must be >= 1" },
        };
        var j = Parse(MaintenanceJson.Retention(new RetentionOutcome(new RetentionReport(rows), ReportFailed: false), dryRun: false));

        Assert.False(j.GetProperty("dryRun").GetBoolean());
        Assert.Equal((int)ExitCode.ConfigError, j.GetProperty("exitCode").GetInt32());
        Assert.Equal(1, j.GetProperty("deleted").GetInt32());
        Assert.Equal(1, j.GetProperty("failed").GetInt32());
        Assert.Equal(5_000_001, j.GetProperty("bytesFreed").GetInt64());
        var chains = j.GetProperty("chains").EnumerateArray().ToList();
        Assert.Equal(3, chains.Count);
        Assert.Equal("ssd/img+1", chains[0].GetProperty("image").GetString());
        Assert.Equal(1, chains[0].GetProperty("chain").GetInt32());
        Assert.Equal("deleted", chains[0].GetProperty("result").GetString());
        Assert.Equal("keptImmutable", chains[1].GetProperty("result").GetString());
        Assert.Equal(JsonValueKind.Null, chains[2].GetProperty("chain").ValueKind);
        Assert.Equal(JsonValueKind.Null, chains[2].GetProperty("vm").ValueKind);
        Assert.Equal("configError", chains[2].GetProperty("result").GetString());
    }

    [Fact]
    public void Retention_dry_run_says_would_delete()
    {
        var rows = new List<RetentionRow> { new() { Job = "J1", Vm = "v", Image = "i", Chain = 3, Result = RetentionResult.WouldDelete, Detail = "old" } };
        var j = Parse(MaintenanceJson.Retention(new RetentionOutcome(new RetentionReport(rows), false), dryRun: true));
        Assert.True(j.GetProperty("dryRun").GetBoolean());
        Assert.Equal(0, j.GetProperty("exitCode").GetInt32());
        Assert.Equal("wouldDelete", j.GetProperty("chains")[0].GetProperty("result").GetString());
    }

    [Fact]
    public void TrimSnap_lists_images_snapshots_warnings_and_job_errors()
    {
        var ok = new TrimImageSummary("J1", "vm1", "img1", 1, 1, 0, 1, null,
            [new("cbk1-000001-000000", TrimSnapResult.Deleted, "no restore point recorded", false),
             new("cbk1-000001-000001", TrimSnapResult.Kept, "base of the next incremental", false),
             new("cbk1-000001-000002", TrimSnapResult.Failed, "newest 1", false, "rbd: busy")],
            ["a warning"]);
        var broken = new TrimImageSummary("J1", "vm1", "img2", 0, 0, 0, 0, "image not found");
        var o = new TrimSnapOutcome([ok, broken], [("J2", ExitCode.AlreadyRunning, "job is running")]);
        var j = Parse(MaintenanceJson.TrimSnap(o, dryRun: false));

        Assert.Equal((int)ExitCode.PartialFailure, j.GetProperty("exitCode").GetInt32());
        Assert.Equal(1, j.GetProperty("deleted").GetInt32());
        Assert.Equal(1, j.GetProperty("failed").GetInt32());
        var err = Assert.Single(j.GetProperty("jobErrors").EnumerateArray().ToList());
        Assert.Equal("J2", err.GetProperty("job").GetString());
        Assert.Equal((int)ExitCode.AlreadyRunning, err.GetProperty("exitCode").GetInt32());
        var images = j.GetProperty("images");
        Assert.Equal("a warning", Assert.Single(images[0].GetProperty("warnings").EnumerateArray().ToList()).GetString());
        var snaps = images[0].GetProperty("snapshots");
        Assert.Equal(new[] { "deleted", "kept", "failed" }, snaps.EnumerateArray().Select(s => s.GetProperty("result").GetString()));
        Assert.Equal("rbd: busy", snaps[2].GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, snaps[0].GetProperty("error").ValueKind);
        Assert.Equal("image not found", images[1].GetProperty("error").GetString());
        Assert.Equal(0, images[1].GetProperty("snapshots").GetArrayLength());
    }

    [Fact]
    public void Verify_has_counts_selection_and_structured_findings()
    {
        var o = new VerifyOutcome(3, 1, 1, 1, 0, 0,
            [new VerifyFinding("J1", "vm1", "img1", "000001-000001", "sha256 mismatch")],
            [new VerifyFinding("J1", "vm1", "img1", "000001-000002", "no checksum recorded")]);
        var j = Parse(MaintenanceJson.Verify(o, new VerifyRequest { Job = "J1", Since = new DateOnly(2026, 11, 1) }));

        Assert.Equal((int)ExitCode.VerificationFailed, j.GetProperty("exitCode").GetInt32());
        Assert.Equal(3, j.GetProperty("checked").GetInt32());
        Assert.Equal(1, j.GetProperty("skipped").GetInt32());
        Assert.Equal("2026-11-01", j.GetProperty("selection").GetProperty("since").GetString());
        Assert.False(j.GetProperty("selection").GetProperty("deep").GetBoolean());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("deepRestored").ValueKind);
        var f = Assert.Single(j.GetProperty("failures").EnumerateArray().ToList());
        Assert.Equal("000001-000001", f.GetProperty("restorePoint").GetString());
        Assert.Equal("sha256 mismatch", f.GetProperty("message").GetString());
        Assert.Equal("img1", j.GetProperty("notes")[0].GetProperty("image").GetString());
        // The text output's line is unchanged by the structured finding.
        Assert.Equal("J1 vm1/img1 000001-000001: sha256 mismatch", o.Failures[0].ToString());
    }
}
