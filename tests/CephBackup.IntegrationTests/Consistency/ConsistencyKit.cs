using System.Text.Json.Nodes;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
using CephBackup.Core.Jobs;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Consistency;

/// <summary>Real hook scripts, a virsh wrapper and a libvirt test-driver node file for one test.</summary>
internal sealed class ConsistencyKit
{
    private readonly BackupBed _bed;
    public string Dir { get; }
    /// <summary>Every hook and virsh wrapper appends here, so the order of the steps can be read back.</summary>
    public string Trace { get; }

    public ConsistencyKit(BackupBed bed)
    {
        _bed = bed;
        Dir = Directory.CreateDirectory(Path.Combine(bed.Root, "kit-" + TestEnv.Unique())).FullName;
        Trace = Path.Combine(Dir, "trace.log");
    }

    public string Script(string name, string body)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, "#!/bin/bash\nset -u\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>
    /// A hook that writes its phase, argv, CEPHBACKUP_* environment, the number of BK- snapshots of each image
    /// and the number of point files written so far to <see cref="Trace"/>, then runs <paramref name="then"/>.
    /// </summary>
    public string RecordingHook(string name, string then = "") => Script(name, $$"""
        {
          echo "hook $CEPHBACKUP_PHASE"
          printf 'arg %s\n' "$@"
          env | grep -E '^CEPHBACKUP_(JOB|VM|DOMAIN|IMAGES|POINT|POINTS|PHASE)=' | sort
          for img in $CEPHBACKUP_IMAGES; do echo "snaps $img $(rbd snap ls "$img" | grep -c ' BK-')"; done
          echo "points $(find '{{_bed.Root}}' -type f -regex '.*/[0-9]+/[0-9]+' | wc -l)"
        } >> '{{Trace}}'
        {{then}}
        """);

    /// <summary>A stand-in for virsh: logs the sub-command, then does <paramref name="body"/> (default: the real virsh).</summary>
    public string Virsh(string body = "exec virsh \"$@\"") => Script("virsh-" + TestEnv.Unique(), $"""
        echo "virsh $3" >> '{Trace}'
        {body}
        """);

    /// <summary>A libvirt test-driver node with one domain whose disks are the given rbd images; returns its URI.</summary>
    public string Node(string domain, params string[] images)
    {
        var disks = string.Concat(images.Select((img, i) => $"""
                <disk type='network' device='disk'>
                  <driver name='qemu' type='raw'/>
                  <source protocol='rbd' name='{TestEnv.Pool}/{img}'/>
                  <target dev='vd{(char)('a' + i)}' bus='virtio'/>
                </disk>
            """));
        var path = Path.Combine(Dir, "node.xml");
        File.WriteAllText(path, $"""
            <node>
              <domain type='test'>
                <name>{domain}</name>
                <uuid>{Guid.NewGuid()}</uuid>
                <memory>131072</memory>
                <vcpu>1</vcpu>
                <os><type arch='x86_64'>hvm</type></os>
                <devices>
            {disks}
                </devices>
              </domain>
            </node>
            """);
        return "test://" + path;
    }

    public string[] TraceLines() => File.Exists(Trace) ? File.ReadAllLines(Trace) : [];

    public async Task<ExecOutcome> ExecAsync(ConsistencyOptions options) =>
        await _bed.Service(consistency: options).RunAsync(new ExecRequest(), CancellationToken.None);

    /// <summary>Adds the sections to a <see cref="CliRun"/> config file (for runs of the real executable).</summary>
    public static void AddConfig(CliRun cli, string section, JsonObject values)
    {
        var root = JsonNode.Parse(File.ReadAllText(cli.ConfigPath))!.AsObject();
        root[section] = values;
        File.WriteAllText(cli.ConfigPath, root.ToJsonString());
    }
}
