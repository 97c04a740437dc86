using System.Diagnostics;
using System.Text.Json;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Cli;

/// <summary>
/// The binary that ships is compiled ahead of time (Native AOT): trimming removes what nothing seems to use,
/// and code that needs the JIT fails only there, at run time. Every other test runs the host on the JIT,
/// so this one drives the published binary as cron and an admin would: its own process, the real config
/// file, real Ceph, MariaDB and SMTP, each part that reads by reflection (catalog rows, JSON documents,
/// the Serilog section, the mail) and a restore that must be bit-exact.
/// </summary>
public class NativeBinaryTests : BedTest
{
    [Fact]
    public async Task The_published_native_binary_backs_up_lists_reports_and_restores_bit_exact()
    {
        var bin = TestEnv.NativeBinary;
        var cli = new CliRun(_bed.Root, _bed.Db.ConnectionString, _bed.Smtp.Port);
        var target = Path.Combine(_bed.Root, "target");
        var job = await _bed.AddJobAsync("NATIVE", maxInc: 3, path: target);
        var img = await _bed.AddImageAsync(job, "vmnative");
        Directory.CreateDirectory(Path.Combine(_bed.Root, "metrics")); // node_exporter's textfile folder exists

        Assert.Contains("0.", (await RunOkAsync(bin, cli, "--version")).Stdout);
        Assert.Contains("schema is current", (await RunOkAsync(bin, cli, "db", "migrate")).Stdout);
        await RunOkAsync(bin, cli, "exec", "--job", "NATIVE");
        await BackupBed.ChangeAsync(img);
        var inc = await RunOkAsync(bin, cli, "exec", "--job", "NATIVE", "--json");

        // The exec document: anonymous objects and report records, written by reflection.
        using (var doc = JsonDocument.Parse(inc.Stdout))
        {
            var image = doc.RootElement.GetProperty("jobs")[0].GetProperty("images")[0];
            Assert.Equal("success", image.GetProperty("result").GetString());
            Assert.Equal("INC", image.GetProperty("type").GetString());
            Assert.Equal("000001-000001", image.GetProperty("restorePoint").GetString());
        }
        // Catalog rows mapped back into points, and their files on disk.
        using (var list = JsonDocument.Parse((await RunOkAsync(bin, cli, "list", "--json", "--job", "NATIVE")).Stdout))
            Assert.Equal(["000001-000000", "000001-000001"], list.RootElement.EnumerateArray().Select(e => e.GetProperty("restorePoint").GetString()));
        using (var status = JsonDocument.Parse((await RunOkAsync(bin, cli, "status", "--json")).Stdout))
            Assert.Equal("OK", status.RootElement.GetProperty("state").GetString());
        using (var verify = JsonDocument.Parse((await RunOkAsync(bin, cli, "verify", "--job", "NATIVE", "--json")).Stdout))
            Assert.Equal(2, verify.RootElement.GetProperty("ok").GetInt32());

        var restored = "cbt-n-" + TestEnv.Unique();
        _bed.Images.Add(restored);
        var r = await RunOkAsync(bin, cli, "restore", "NATIVE", img, "000001-000001", restored, "--json");
        using (var doc = JsonDocument.Parse(r.Stdout)) Assert.Equal("000001-000001", doc.RootElement.GetProperty("restorePoint").GetString());
        var snapshot = (await _bed.Catalog.GetPointsAsync(null, null, img, default)).Single(p => p.Point == 1).Snapshot;
        Assert.Equal(await TestRbd.Sha256Async($"{TestEnv.Pool}/{img}@{snapshot}"), await TestRbd.Sha256Async($"{TestEnv.Pool}/{restored}"));

        // The Serilog section of the config file was read: its file sink has the runs' lines.
        Assert.Contains("INC 000001-000001", cli.AllLogs());
        // prometheus-net's registry and text export, then the textfile promtool would read.
        var prom = await File.ReadAllTextAsync(Path.Combine(_bed.Root, "metrics", "cephbackup.prom"));
        Assert.Contains("cephbackup_last_run_success{job=\"NATIVE\"} 1", prom);
        // Two report mails (MimeKit and MailKit in the native binary).
        Assert.Equal(2, _bed.Smtp.Messages.Count(m => (m.Subject ?? "").Contains("CEPH Backup NATIVE", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_admin_verbs_of_the_native_binary_write_and_read_jobs_and_vms()
    {
        // Value tuples, positional records and a whole BackupJob as parameters: the row mapper's other shapes.
        var bin = TestEnv.NativeBinary;
        var cli = new CliRun(_bed.Root, _bed.Db.ConnectionString, _bed.Smtp.Port);
        var image = "cbt-" + TestEnv.Unique();
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, image, 8L << 20, (0, 4096));
        _bed.Images.Add(image);

        await RunOkAsync(bin, cli, "job", "add", "NADM", "--path", Path.Combine(_bed.Root, "adm"), "--max-inc", "4", "--days", "1,3");
        await RunOkAsync(bin, cli, "vm", "add", "vmadm", image);
        await RunOkAsync(bin, cli, "job", "attach", "NADM", "vmadm");
        using (var job = JsonDocument.Parse((await RunOkAsync(bin, cli, "job", "show", "NADM", "--json")).Stdout))
        {
            Assert.Equal(4, job.RootElement.GetProperty("maxInc").GetInt32());
            Assert.Equal(image, job.RootElement.GetProperty("images")[0].GetProperty("image").GetString());
        }
        using (var vms = JsonDocument.Parse((await RunOkAsync(bin, cli, "vm", "list", "vmadm", "--json")).Stdout))
            Assert.Equal(["NADM"], vms.RootElement[0].GetProperty("jobs").EnumerateArray().Select(j => j.GetString()));
        await RunOkAsync(bin, cli, "job", "detach", "NADM", "vmadm");
        using (var job = JsonDocument.Parse((await RunOkAsync(bin, cli, "job", "show", "NADM", "--json")).Stdout))
            Assert.Equal(0, job.RootElement.GetProperty("images").GetArrayLength());
        await RunOkAsync(bin, cli, "job", "rm", "NADM");
        using var none = JsonDocument.Parse((await RunOkAsync(bin, cli, "job", "list", "--json")).Stdout);
        Assert.DoesNotContain(none.RootElement.EnumerateArray(), j => j.GetProperty("name").GetString() == "NADM");
    }

    private static async Task<CliResult> RunOkAsync(string bin, CliRun cli, params string[] args)
    {
        var psi = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["CEPHBACKUP_Metrics__TextfileDir"] = Path.Combine(Path.GetDirectoryName(cli.ConfigPath)!, "metrics");
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (args is not ["--version"])
        {
            psi.ArgumentList.Add("--config");
            psi.ArgumentList.Add(cli.ConfigPath);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        var result = new CliResult(p.ExitCode, await stdout, await stderr);
        Assert.True(result.ExitCode == 0, $"cephbackup {string.Join(' ', args)} -> {result.ExitCode}\n{result.Stderr}\n{result.Stdout}");
        return result;
    }
}
