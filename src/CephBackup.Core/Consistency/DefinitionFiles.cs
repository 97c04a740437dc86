using System.Text;

namespace CephBackup.Core.Consistency;

/// <summary>
/// The VM definition saved with a point: <c>NNNNNN.vm.xml</c> beside every disk's point file (a few KB
/// each), so each chain folder stays self-contained when retention or a restore handles it alone.
/// </summary>
public static class DefinitionFiles
{
    public const string Suffix = ".vm.xml";

    public static string PathFor(string pointFile) => pointFile + Suffix;

    /// <summary>Written before the point is committed; the commit's directory fsync makes the rename durable.</summary>
    public static void Write(string pointFile, VmDefinition definition)
    {
        var path = PathFor(pointFile);
        var tmp = path + ".partial";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(Encoding.UTF8.GetBytes(definition.Xml));
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
