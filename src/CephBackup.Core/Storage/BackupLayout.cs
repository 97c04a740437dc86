using CephBackup.Core.Ceph;

namespace CephBackup.Core.Storage;

/// <summary>
/// The PHP tool's folder tree: <c>&lt;path&gt;/&lt;job&gt;/&lt;vm&gt;/&lt;image&gt;/&lt;chain:000000&gt;/&lt;point:000000&gt;</c>.
/// Every component is validated, so a name from the database can never point outside the job's folder.
/// </summary>
public sealed class BackupLayout
{
    public string JobRoot { get; }

    private BackupLayout(string jobRoot) => JobRoot = jobRoot;

    public static BackupLayout For(string? path, string? jobName)
    {
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathRooted(path))
            throw new CephBackupException(ExitCode.ConfigError, $"job path '{Names.Printable(path)}' must be an absolute path");
        Names.RequireValid(jobName, "job");
        return new BackupLayout(Path.Combine(Path.GetFullPath(path), jobName!));
    }

    /// <summary>An image given as <c>pool/image</c> is stored in the folder <c>pool@image</c> ('@' cannot occur in either name).</summary>
    public static string ImageFolderName(string image) => image.Replace('/', '@');

    public string ImageDir(string vm, string image)
    {
        Names.RequireValid(vm, "VM");
        var folder = ImageFolderName(image);
        foreach (var part in image.Split('/')) Names.RequireValid(part, "image");
        return Inside(Path.Combine(JobRoot, vm, folder));
    }

    public static string ChainDirName(int chain) => chain.ToString("D6");
    public static string PointFileName(int point) => point.ToString("D6");

    public string ChainDir(string vm, string image, int chain) => Path.Combine(ImageDir(vm, image), ChainDirName(chain));
    public string PointFile(string vm, string image, int chain, int point) =>
        Path.Combine(ChainDir(vm, image, chain), PointFileName(point));

    /// <summary>The chain numbers of the six-digit folders that exist under an image folder.</summary>
    public static IReadOnlyList<int> ChainsOnDisk(string imageDir) =>
        !Directory.Exists(imageDir)
            ? []
            : Directory.EnumerateDirectories(imageDir)
                .Select(Path.GetFileName)
                .Where(n => n is { Length: 6 } && n.All(char.IsAsciiDigit))
                .Select(n => int.Parse(n!))
                .Order()
                .ToList();

    /// <summary>True when <paramref name="path"/> (e.g. a file path read from the catalog) lies inside this job's folder.</summary>
    public bool Contains(string path) =>
        Path.IsPathRooted(path) && Path.GetFullPath(path).StartsWith(JobRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private string Inside(string p)
    {
        var full = Path.GetFullPath(p);
        if (!full.StartsWith(JobRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new CephBackupException(ExitCode.InvalidInput, $"path '{Names.Printable(p)}' escapes the job folder");
        return full;
    }
}
