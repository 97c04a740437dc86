using System.Text.Json;
using System.Text.RegularExpressions;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Property;

/// <summary>One entry of <c>cephbackup list VM --json</c>.</summary>
public sealed record ListedPoint(string Job, string Vm, string Image, string RestorePoint, string Type, DateTime Time,
    long SizeBytes, string? Sha256, string Status)
{
    public (string Image, string RestorePoint) Key => (Image, RestorePoint);
    public int Chain => int.Parse(RestorePoint[..6]);
    public int Point => int.Parse(RestorePoint[7..]);
}

/// <summary>
/// The services of one seed: a fresh catalog database, backup folder and SMTP server (a <see cref="BackupBed"/>),
/// one job and two VMs with three 64 MiB images, and the command line pointed at them.
/// </summary>
public sealed partial class PropertyWorld : IAsyncDisposable
{
    public const string Job = "PROP";
    public const string Prefix = "PR";
    public static readonly string[] Vms = ["vma", "vmb"];

    public BackupBed Bed { get; }
    public CliRun Cli { get; }
    public string[] Images { get; }
    private readonly string _dir;

    private PropertyWorld(BackupBed bed, string dir, string[] images)
    {
        Bed = bed;
        _dir = dir;
        Images = images;
        Cli = new CliRun(dir, bed.Db.ConnectionString, bed.Smtp.Port);
    }

    public static async Task<PropertyWorld> CreateAsync(Scenario s)
    {
        var bed = await BackupBed.CreateAsync();
        var dir = Directory.CreateTempSubdirectory("cbprop-").FullName;
        var token = TestEnv.Unique();
        var images = Enumerable.Range(0, Scenario.VmOfImage.Length).Select(i => $"cbt-p-{token}-{i}").ToArray();
        var world = new PropertyWorld(bed, dir, images);
        var jobId = await bed.AddJobAsync(Job, s.MaxInc, s.Mode, Prefix, s.Retention, s.MaxSnaps);
        for (var i = 0; i < images.Length; i++)
        {
            bed.Images.Add(images[i]);
            await TestRbd.RunAsync("create", "--size", $"{Scenario.ImageSize >> 20}M", Spec(images[i]));
            await WriteAsync(images[i], s.InitialData[i], s.InitialDataSeed + i);
            await bed.LinkAsync(jobId, VmOf(i), images[i]);
        }
        return world;
    }

    public static string VmOf(int image) => Vms[Scenario.VmOfImage[image]];
    public static string Spec(string image) => $"{TestEnv.Pool}/{image}";
    public string VmOf(string image) => VmOf(Array.IndexOf(Images, image));

    /// <summary>Writes seeded random data and zeroes through a hand-made <c>rbd diff v1</c> stream (no kernel mapping needed).</summary>
    public static async Task WriteAsync(string image, IReadOnlyList<Extent> extents, int dataSeed)
    {
        var data = new Random(dataSeed);
        var ms = new MemoryStream();
        ms.Write("rbd diff v1\n"u8);
        ms.WriteByte((byte)'s'); ms.Write(BitConverter.GetBytes(Scenario.ImageSize));
        foreach (var e in extents)
        {
            ms.WriteByte((byte)(e.Zero ? 'z' : 'w'));
            ms.Write(BitConverter.GetBytes(e.Offset));
            ms.Write(BitConverter.GetBytes((long)e.Length));
            if (e.Zero) continue;
            var buf = new byte[e.Length];
            data.NextBytes(buf);
            ms.Write(buf);
        }
        ms.WriteByte((byte)'e');
        ms.Position = 0;
        await TestRbd.RunAsync(ms, "import-diff", "--no-progress", "-", Spec(image));
    }

    public Task<ChildResult> RunAsync(params string[] args) => ChildCli.RunAsync(Cli.ConfigPath, args);

    public Task<ChildResult> RunKilledAsync(TimeSpan after, params string[] args) => ChildCli.RunAsync(Cli.ConfigPath, args, after);

    /// <summary>Every point <c>list --json</c> shows for both VMs (the real CLI host, in-process: it runs after every step).</summary>
    public async Task<List<ListedPoint>> ListAsync()
    {
        var all = new List<ListedPoint>();
        foreach (var vm in Vms)
        {
            var r = await Cli.RunAsync("list", vm, "--json");
            RequireClean($"list {vm} --json", r.ExitCode, r.Stdout, r.Stderr, 0);
            try
            {
                all.AddRange(JsonSerializer.Deserialize<List<ListedPoint>>(r.Stdout, JsonOpts)
                             ?? throw new PropertyViolation($"list {vm} --json printed null"));
            }
            catch (JsonException e)
            {
                throw new PropertyViolation($"list {vm} --json does not parse ({e.Message}): {r.Stdout}");
            }
        }
        return all;
    }

    private static readonly JsonSerializerOptions JsonOpts = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string PointFile(ListedPoint p) =>
        BackupLayout.For(Bed.Root, p.Job).PointFile(p.Vm, p.Image, p.Chain, p.Point);

    /// <summary>The file that holds the point's bytes (plain or compressed), or null when none exists.</summary>
    public string? StoredFile(ListedPoint p)
    {
        var plain = PointFile(p);
        return PointCodecs.Find(plain)?.StoredPath(plain);
    }

    public static string Snapshot(ListedPoint p) => $"{Prefix}-{p.RestorePoint}";

    public static Task<string> ShaAsync(string spec) => TestRbd.Sha256Async(spec);

    /// <summary>The job's snapshots of an image, oldest first (rbd lists them by id).</summary>
    public static async Task<List<string>> JobSnapshotsAsync(string image) =>
        JsonDocument.Parse(await TestRbd.RunAsync("snap", "ls", "--format", "json", Spec(image))).RootElement
            .EnumerateArray()
            .OrderBy(e => e.GetProperty("id").GetInt64())
            .Select(e => e.GetProperty("name").GetString()!)
            .Where(n => n.StartsWith(Prefix + "-", StringComparison.Ordinal))
            .ToList();

    public static async Task<bool> ExistsAsync(string image)
    {
        try { await TestRbd.RunAsync("info", Spec(image)); return true; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>A documented exit code from the expected set, and no stack trace anywhere in the output.</summary>
    public static void RequireClean(string what, int? code, string stdout, string stderr, params int[] allowed)
    {
        if (StackTrace().IsMatch(stdout) || StackTrace().IsMatch(stderr))
            throw new PropertyViolation($"{what}: stack trace in the output:\n{stdout}\n{stderr}");
        if (code is { } c && !allowed.Contains(c))
            throw new PropertyViolation($"{what}: exit {c}, expected {string.Join(" or ", allowed)}:\n{stdout}\n{stderr}");
    }

    /// <summary>Fatal entries (an internal error with its stack trace) in the CLI's log files.</summary>
    public string? FatalInLogs()
    {
        var logs = Cli.AllLogs();
        var i = logs.IndexOf("[FTL]", StringComparison.Ordinal);
        return i < 0 ? null : logs[i..Math.Min(logs.Length, i + 2000)];
    }

    [GeneratedRegex(@"(^\s*at \S+\(.*\)|--- End of stack trace|Unhandled exception)", RegexOptions.Multiline)]
    private static partial Regex StackTrace();

    public async ValueTask DisposeAsync()
    {
        await Bed.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
