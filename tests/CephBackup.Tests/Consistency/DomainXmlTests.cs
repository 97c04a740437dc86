using System.Xml;
using System.Xml.Linq;
using CephBackup.Core.Consistency;

namespace CephBackup.Tests.Consistency;

public class DomainXmlTests
{
    private const string Saved = """
        <domain type='kvm'>
          <name>web01</name>
          <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
          <memory unit='KiB'>131072</memory>
          <devices>
            <disk type='network' device='disk'>
              <driver name='qemu' type='raw'/>
              <auth username='libvirt'><secret type='ceph' uuid='0a5c2b2e-1111-2222-3333-444455556666'/></auth>
              <source protocol='rbd' name='rbd/web01-disk0'>
                <host name='10.0.0.1' port='6789'/>
              </source>
              <target dev='vda' bus='virtio'/>
            </disk>
            <disk type='network' device='disk'>
              <source protocol='rbd' name='ssd/web01-disk1'/>
              <target dev='vdb' bus='virtio'/>
            </disk>
            <disk type='network' device='disk'>
              <source protocol='rbd' name='rbd/web01-scratch'/>
              <target dev='vdc' bus='virtio'/>
            </disk>
            <disk type='file' device='cdrom'>
              <source file='/iso/install.iso'/>
              <target dev='sda' bus='sata'/>
            </disk>
            <interface type='bridge'>
              <mac address='52:54:00:12:34:56'/>
              <source bridge='br0'/>
            </interface>
          </devices>
        </domain>
        """;

    private static readonly Guid NewUuid = Guid.Parse("11111111-2222-3333-4444-555555555555");

    [Fact]
    public void Restored_definition_points_at_the_restored_images_under_a_new_name_and_uuid()
    {
        var map = new Dictionary<string, string> { ["rbd/web01-disk0"] = "rbd/web01-disk0-restored", ["ssd/web01-disk1"] = "rbd/web01-disk1-restored" };

        var r = DomainXml.RewriteForRestore(Saved, map, "web01-restored", NewUuid);

        var root = XDocument.Parse(r.Xml).Root!;
        Assert.Equal("web01-restored", root.Element("name")!.Value);
        Assert.Equal("11111111-2222-3333-4444-555555555555", root.Element("uuid")!.Value);
        Assert.Equal(["rbd/web01-disk0-restored", "rbd/web01-disk1-restored"], DomainXml.RbdDisks(r.Xml));
        // The unrestored rbd disk is gone, never left pointing at the original VM's image.
        Assert.Equal(["rbd/web01-scratch"], r.RemovedDisks);
        Assert.DoesNotContain("web01-scratch", r.Xml);
        Assert.DoesNotContain("vdc", r.Xml);
        // Everything else is kept: the cluster's hosts and secret, the cdrom, the bridge (without the MAC).
        Assert.Equal("10.0.0.1", (string?)root.Descendants("host").Single().Attribute("name"));
        Assert.Contains("0a5c2b2e-1111-2222-3333-444455556666", r.Xml);
        Assert.Contains("/iso/install.iso", r.Xml);
        Assert.Contains("br0", r.Xml);
        Assert.DoesNotContain("52:54:00:12:34:56", r.Xml);
        Assert.DoesNotContain("6695eb01", r.Xml);
        Assert.Null(DomainXml.Problem(r.Xml));
    }

    [Fact]
    public void A_definition_without_uuid_gets_one_and_a_source_with_a_snapshot_suffix_is_matched_by_its_image()
    {
        const string xml = "<domain type='kvm'><name>a</name><devices><disk type='network'><source protocol='rbd' name='rbd/a@snap1'/></disk></devices></domain>";
        var r = DomainXml.RewriteForRestore(xml, new Dictionary<string, string> { ["rbd/a"] = "rbd/b" }, "b", NewUuid);
        Assert.Equal(["rbd/b"], DomainXml.RbdDisks(r.Xml));
        Assert.Equal(NewUuid.ToString(), XDocument.Parse(r.Xml).Root!.Element("uuid")!.Value);
        Assert.Empty(r.RemovedDisks);
    }

    [Fact]
    public void Input_that_is_not_a_domain_is_refused_and_dtds_are_never_expanded()
    {
        Assert.Throws<XmlException>(() => DomainXml.RewriteForRestore("<network/>", new Dictionary<string, string>(), "x", NewUuid));
        Assert.Throws<XmlException>(() => DomainXml.RewriteForRestore("nope", new Dictionary<string, string>(), "x", NewUuid));
        const string bomb = "<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]><domain><name>&b;</name></domain>";
        Assert.Throws<XmlException>(() => DomainXml.RewriteForRestore(bomb, new Dictionary<string, string>(), "x", NewUuid));
        Assert.NotNull(DomainXml.Problem(bomb));
        Assert.Equal("virsh printed <network>, not a <domain>", DomainXml.Problem("<network/>"));
        Assert.Equal("the definition has no <name>", DomainXml.Problem("<domain/>"));
        Assert.Null(DomainXml.Problem(Saved));
    }

    [Fact]
    public void Rbd_disks_are_listed_in_document_order()
    {
        Assert.Equal(["rbd/web01-disk0", "ssd/web01-disk1", "rbd/web01-scratch"], DomainXml.RbdDisks(Saved));
    }
}
