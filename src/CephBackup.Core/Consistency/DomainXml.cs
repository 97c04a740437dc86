using System.Xml;
using System.Xml.Linq;

namespace CephBackup.Core.Consistency;

/// <summary>A saved definition made safe to define beside the original VM.</summary>
/// <param name="RemovedDisks">rbd disks (pool/image) that had no restored image: dropped, never left pointing at the original.</param>
public sealed record RestoredDefinition(string Xml, IReadOnlyList<string> RemovedDisks);

/// <summary>Pure functions over a libvirt domain XML (what <c>virsh dumpxml --inactive</c> prints).</summary>
public static class DomainXml
{
    /// <summary>Null when <paramref name="xml"/> is a domain definition with a name; else why not.</summary>
    public static string? Problem(string xml)
    {
        try
        {
            var root = Parse(xml).Root!;
            if (root.Name.LocalName != "domain") return $"virsh printed <{root.Name.LocalName}>, not a <domain>";
            return string.IsNullOrWhiteSpace(root.Element("name")?.Value) ? "the definition has no <name>" : null;
        }
        catch (XmlException e) { return $"virsh printed no valid XML: {e.Message}"; }
    }

    /// <summary>pool/image of every rbd disk (<c>&lt;source protocol='rbd' name='pool/image'/&gt;</c>), in document order.</summary>
    public static IReadOnlyList<string> RbdDisks(string xml) =>
        RbdSources(Parse(xml)).Select(s => (string)s.Attribute("name")!).ToList();

    /// <summary>
    /// The definition for a restored copy: each rbd disk source renamed through <paramref name="images"/>
    /// (old pool/image → new pool/image), rbd disks without a new image removed (a copy booted from this file must
    /// never write to the original's disks), the name and UUID replaced, and interface MAC addresses dropped
    /// so libvirt generates new ones (two guests with one MAC on a bridge disturb each other).
    /// </summary>
    /// <exception cref="XmlException">Not XML, or not a &lt;domain&gt;.</exception>
    public static RestoredDefinition RewriteForRestore(string xml, IReadOnlyDictionary<string, string> images, string newName, Guid newUuid)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(newName);
        var doc = Parse(xml);
        var root = doc.Root!;
        if (root.Name.LocalName != "domain") throw new XmlException($"<{root.Name.LocalName}> is not a libvirt <domain>");

        SetChild(root, "name", newName);
        SetChild(root, "uuid", newUuid.ToString("D"));
        var removed = new List<string>();
        foreach (var source in RbdSources(doc).ToList())
        {
            var old = (string)source.Attribute("name")!;
            if (images.TryGetValue(old, out var renamed) || images.TryGetValue(WithoutSnapshot(old), out renamed))
                source.SetAttributeValue("name", renamed);
            else
            {
                removed.Add(old);
                Remove(source.Parent!);
            }
        }
        foreach (var mac in root.Elements("devices").Elements("interface").Elements("mac").ToList()) Remove(mac);
        return new RestoredDefinition(root.ToString(SaveOptions.DisableFormatting) + "\n", removed);
    }

    private static IEnumerable<XElement> RbdSources(XDocument doc) =>
        doc.Root!.Elements("devices").Elements("disk")
            .Where(d => (string?)d.Attribute("type") == "network")
            .Elements("source")
            .Where(s => (string?)s.Attribute("protocol") == "rbd" && s.Attribute("name") is not null);

    private static string WithoutSnapshot(string name) => name.Split('@')[0];

    private static void SetChild(XElement root, string name, string value)
    {
        if (root.Element(name) is { } e) e.Value = value;
        else root.AddFirst(new XElement(name, value));
    }

    // Also drops the indentation before the element, so the result still reads like virsh's output.
    private static void Remove(XElement e)
    {
        if (e.PreviousNode is XText { Value: var t } ws && string.IsNullOrWhiteSpace(t)) ws.Remove();
        e.Remove();
    }

    private static XDocument Parse(string xml)
    {
        // No DTDs: a definition file is data, and entity expansion is a classic way to make a parser blow up.
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        return XDocument.Load(reader, LoadOptions.PreserveWhitespace);
    }
}
