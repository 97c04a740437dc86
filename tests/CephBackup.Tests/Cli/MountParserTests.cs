using CephBackup.Commands.Mount;
using CephBackup.Commands.Restore;
using CephBackup.Core;
using CephBackup.Core.Nbd;

namespace CephBackup.Tests.Cli;

public class MountParserTests
{
    private static Task<MountArgs?> Mount(params string[] args) => ParserHarness.Parse<MountArgs>(MountCommand.Create, ["mount", .. args]);
    private static Task<RestoreArgs?> Restore(params string[] args) => ParserHarness.Parse<RestoreArgs>(RestoreCommand.Create, ["restore", .. args]);

    [Fact]
    public async Task Mount_takes_job_image_point_and_every_option()
    {
        Assert.Equal(new MountArgs { Job = "J1", Image = "rbd/web01-disk", RestorePoint = "000001-000002" }, await Mount("J1", "rbd/web01-disk", "000001-000002"));
        Assert.Equal(new MountArgs
        {
            Job = "J1", Image = "img", RestorePoint = "000001-000002", Listen = "tcp:0.0.0.0:10809", ExportName = "disk",
            Verify = VerifyMode.Background, ForceUnverified = true, ConfigPath = "/c.json",
        }, await Mount("J1", "img", "000001-000002", "--listen", "tcp:0.0.0.0:10809", "--export-name", "disk", "--verify", "background",
            "--force-unverified", "--config", "/c.json"));
        Assert.Equal(new MountArgs { FromDir = "/d", RestorePoint = "000001-000003" }, await Mount("--from-dir", "/d", "000001-000003"));
    }

    [Theory]
    [InlineData("J1", "img")]
    [InlineData("J1", "img", "000001-000000", "extra")]
    [InlineData("--from-dir", "/d", "J1", "img", "000001-000000")]
    [InlineData("J1", "img", "000001-000000", "--verify", "later")]
    public async Task Mount_refuses_wrong_argument_counts_and_modes(params string[] args) => Assert.Null(await Mount(args));

    [Fact]
    public async Task Restore_to_file_takes_three_positionals_or_one_with_from_dir()
    {
        Assert.Equal(new RestoreArgs { Job = "J", Image = "i", RestorePoint = "000001-000001", NewName = "", ToFile = "/x.raw" },
            await Restore("J", "i", "000001-000001", "--to-file", "/x.raw"));
        Assert.Equal(new RestoreArgs { FromDir = "/d", RestorePoint = "000001-000001", NewName = "", ToFile = "/x.raw" },
            await Restore("--from-dir", "/d", "000001-000001", "--to-file", "/x.raw"));
        Assert.Null(await Restore("J", "i", "000001-000001", "new", "--to-file", "/x.raw"));
        Assert.Null(await Restore("J", "i", "000001-000001", "--to-file", "/x.raw", "--dry-run"));
        Assert.Null(await Restore("J", "i", "000001-000001", "--to-file", "/x.raw", "--pool", "p"));
        Assert.Null(await Restore("000001-000001"));
    }

    [Theory]
    [InlineData("unix:/run/x.sock", "/run/x.sock", null)]
    [InlineData("tcp:10809", null, "127.0.0.1:10809")]
    [InlineData("tcp:0.0.0.0:10809", null, "0.0.0.0:10809")]
    [InlineData("tcp:[::1]:10809", null, "[::1]:10809")]
    public void Listen_addresses_parse_loopback_by_default(string value, string? unix, string? tcp)
    {
        var a = NbdListenAddress.Parse(value);
        Assert.Equal(unix, a.UnixPath);
        Assert.Equal(tcp, a.Tcp?.ToString());
    }

    [Theory]
    [InlineData("tcp:")]
    [InlineData("tcp:host:10809")]
    [InlineData("tcp:1.2.3.4:99999")]
    [InlineData("tcp:10809\n")]
    [InlineData("udp:1")]
    [InlineData("unix:")]
    public void Bad_listen_addresses_are_refused_as_invalid_input(string value) =>
        Assert.Equal(ExitCode.InvalidInput, Assert.Throws<CephBackupException>(() => NbdListenAddress.Parse(value)).Code);

    [Fact]
    public void The_default_socket_names_job_image_and_point_with_slashes_replaced()
    {
        Assert.Equal("/run/cephbackup/J1-rbd_web01-disk-000001-000002.sock", NbdListenAddress.DefaultUnix("J1", "rbd/web01-disk", "000001-000002").UnixPath);
    }
}
