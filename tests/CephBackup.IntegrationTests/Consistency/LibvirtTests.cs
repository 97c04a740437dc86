using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Consistency;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Ceph;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Consistency;

/// <summary>libvirt through the real virsh against its test driver (no daemon), and stand-ins for broken guests.</summary>
public class LibvirtTests : BedTest
{
    private ConsistencyKit _kit = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _kit = new ConsistencyKit(_bed);
    }

    private Task<IReadOnlyList<BackupPoint>> Points(string image) => _bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None);

    /// <summary>Two disks of VM "vmlv" whose libvirt domain has another name (vms.libvirt_name).</summary>
    private async Task<(string A, string B, string Domain, string Uri)> VmAsync(string jobName)
    {
        var job = await _bed.AddJobAsync(jobName, maxInc: 3);
        var a = await _bed.AddImageAsync(job, "vmlv", size: 16L << 20);
        var b = await _bed.AddImageAsync(job, "vmlv", size: 16L << 20);
        var domain = "cbt-dom-" + TestEnv.Unique();
        await _bed.Db.ExecAsync($"UPDATE vms SET libvirt_name = '{domain}' WHERE vm = 'vmlv' AND image = '{b}'");
        return (a, b, domain, _kit.Node(domain, a, b));
    }

    [Fact]
    public async Task Freeze_wraps_the_snapshots_inside_the_hooks_and_the_definition_is_saved_with_every_point()
    {
        var (a, b, domain, uri) = await VmAsync("LV");
        var hook = _kit.RecordingHook("hook.sh");
        var options = new ConsistencyOptions
        {
            Hooks = new HookOptions { PreSnapshot = [hook], PostSnapshot = [hook] },
            Libvirt = new LibvirtOptions { Enabled = true, Uri = uri, VirshPath = _kit.Virsh() },
        };

        var outcome = await _kit.ExecAsync(options);

        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Empty(outcome.Jobs[0].Warnings);
        Assert.Equal(["hook pre-snapshot", "virsh domfsfreeze", "virsh domfsthaw", "hook post-snapshot", "virsh dumpxml"],
            _kit.TraceLines().Where(l => l.StartsWith("hook ") || l.StartsWith("virsh ")));
        Assert.Contains($"CEPHBACKUP_DOMAIN={domain}", _kit.TraceLines());
        foreach (var img in new[] { a, b })
        {
            var point = Assert.Single(await Points(img));
            Assert.Equal(PointConsistency.FsFrozen, point.Consistency);
            var xmlFile = DefinitionFiles.PathFor(point.FilePath);
            var xml = await File.ReadAllTextAsync(xmlFile);
            Assert.Contains($"<name>{domain}</name>", xml);
            Assert.Equal([$"{TestEnv.Pool}/{a}", $"{TestEnv.Pool}/{b}"], DomainXml.RbdDisks(xml));
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(xmlFile))),
                PointFiles.ReadSidecar(point.FilePath)!.VmDefinitionSha256);
            Assert.Equal("fs-frozen", PointFiles.ReadSidecar(point.FilePath)!.Consistency);
        }
        var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.Contains("| fs-frozen |", mail.TextBody);
        Assert.Contains("Consistency", mail.HtmlBody);

        // The saved file is what restore-vm rewrites: it must come out pointing at the restored images only.
        var saved = await File.ReadAllTextAsync(DefinitionFiles.PathFor((await Points(a))[0].FilePath));
        var restored = DomainXml.RewriteForRestore(saved, new Dictionary<string, string> { [$"{TestEnv.Pool}/{a}"] = $"{TestEnv.Pool}/{a}-r" }, "copy", Guid.NewGuid());
        Assert.Equal([$"{TestEnv.Pool}/{a}-r"], DomainXml.RbdDisks(restored.Xml));
        Assert.Equal([$"{TestEnv.Pool}/{b}"], restored.RemovedDisks);
    }

    [Fact]
    public async Task A_guest_whose_agent_does_not_answer_is_backed_up_crash_consistent_with_a_warning()
    {
        var (a, b, domain, uri) = await VmAsync("LA");
        var virsh = _kit.Virsh("""
            if [ "$3" = domfsfreeze ]; then echo "error: Guest agent is not responding: QEMU guest agent is not connected" >&2; exit 1; fi
            exec virsh "$@"
            """);

        var outcome = await _kit.ExecAsync(new ConsistencyOptions { Libvirt = new LibvirtOptions { Enabled = true, Uri = uri, VirshPath = virsh } });

        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal($"vmlv: guest filesystems not frozen, crash-consistent backup: virsh domfsfreeze {domain} failed with exit code 1: error: Guest agent is not responding: QEMU guest agent is not connected",
            Assert.Single(outcome.Jobs[0].Warnings));
        Assert.Equal(["virsh domfsfreeze", "virsh domfsthaw", "virsh dumpxml"], _kit.TraceLines());
        Assert.Equal(PointConsistency.Crash, Assert.Single(await Points(a)).Consistency);
        Assert.Equal(PointConsistency.Crash, Assert.Single(await Points(b)).Consistency);
        Assert.True(File.Exists(DefinitionFiles.PathFor((await Points(a))[0].FilePath)), "the definition is saved even when the freeze failed");
        var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.Contains("Warning: vmlv: guest filesystems not frozen", mail.TextBody);
        Assert.StartsWith("[SUCCESS]", mail.Subject);
    }

    [Fact]
    public async Task A_hanging_virsh_is_killed_after_the_timeout_and_never_stalls_the_run()
    {
        var (a, _, _, uri) = await VmAsync("LH");
        var secs = 4000 + Random.Shared.Next(0, 900_000);
        var virsh = _kit.Virsh($"""
            if [ "$3" = domfsfreeze ] || [ "$3" = domfsthaw ]; then sleep {secs}; fi
            exec virsh "$@"
            """);

        var outcome = await _kit.ExecAsync(new ConsistencyOptions
        {
            Hooks = new HookOptions { Timeout = TimeSpan.FromSeconds(1) },
            Libvirt = new LibvirtOptions { Enabled = true, Uri = uri, VirshPath = virsh },
        });

        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var warnings = outcome.Jobs[0].Warnings;
        Assert.Equal(2, warnings.Count);
        Assert.Contains("guest filesystems not frozen, crash-consistent backup: virsh domfsfreeze", warnings[0]);
        Assert.Contains("timed out after 1 s (killed)", warnings[0]);
        Assert.Contains("THAW FAILED", warnings[1]);
        Assert.Empty(await ProcScan.WaitForCountAsync(x => x is ["sleep", var s] && s == secs.ToString(), 0, TimeSpan.FromSeconds(5)));
        Assert.Equal(PointConsistency.Crash, Assert.Single(await Points(a)).Consistency);
    }

    [Fact]
    public async Task An_unknown_domain_gives_crash_points_and_says_the_definition_was_not_saved()
    {
        var job = await _bed.AddJobAsync("LU", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vm-not-in-libvirt", size: 16L << 20);
        var uri = _kit.Node("cbt-other-" + TestEnv.Unique(), img);

        var outcome = await _kit.ExecAsync(new ConsistencyOptions { Libvirt = new LibvirtOptions { Enabled = true, Uri = uri } });

        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal(2, outcome.Jobs[0].Warnings.Count);
        Assert.Contains("virsh domfsfreeze vm-not-in-libvirt failed", outcome.Jobs[0].Warnings[0]);
        Assert.Contains("VM definition not saved", outcome.Jobs[0].Warnings[1]);
        var point = Assert.Single(await Points(img));
        Assert.Equal(PointConsistency.Crash, point.Consistency);
        Assert.False(File.Exists(DefinitionFiles.PathFor(point.FilePath)));
        Assert.Null(PointFiles.ReadSidecar(point.FilePath)!.VmDefinitionSha256);
    }
}
