using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace CephBackup.Core.Nbd;

/// <summary>Where the server listens: <c>unix:PATH</c> (the default) or <c>tcp:[ADDR:]PORT</c> (loopback unless ADDR says otherwise).</summary>
public sealed partial record NbdListenAddress(string? UnixPath, IPEndPoint? Tcp)
{
    /// <summary>The default socket of a mount: <c>/run/cephbackup/JOB-IMAGE-POINT.sock</c>, a '/' in the image (pool/image) becoming '_'.</summary>
    public static NbdListenAddress DefaultUnix(string job, string image, string restorePoint) =>
        new(Path.Combine("/run/cephbackup", $"{job}-{image}-{restorePoint}.sock".Replace('/', '_')), null);

    /// <exception cref="CephBackupException">Not a valid address (exit code InvalidInput).</exception>
    public static NbdListenAddress Parse(string value)
    {
        if (value.StartsWith("unix:", StringComparison.Ordinal) && value.Length > 5)
            return new NbdListenAddress(Path.GetFullPath(value[5..]), null);
        var m = TcpPattern().Match(value);
        if (m.Success && int.TryParse(m.Groups["port"].Value, out var port) && port <= 65535)
        {
            var host = m.Groups["addr"].Success ? m.Groups["addr"].Value.Trim('[', ']') : "127.0.0.1";
            if (IPAddress.TryParse(host, out var ip)) return new NbdListenAddress(null, new IPEndPoint(ip, port));
        }
        throw new CephBackupException(ExitCode.InvalidInput,
            $"invalid listen address '{value}': use unix:PATH or tcp:ADDR:PORT (e.g. tcp:127.0.0.1:10809, tcp:[::1]:10809)");
    }

    [GeneratedRegex(@"^tcp:(?:(?<addr>\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?<port>[0-9]{1,5})\z")]
    private static partial Regex TcpPattern();

    /// <summary>Binds and listens. A unix socket left by a dead server is replaced; a live one is refused.</summary>
    public Socket Bind()
    {
        if (Tcp is { } ep)
        {
            var tcp = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                tcp.Bind(ep);
                tcp.Listen(16);
                return tcp;
            }
            catch (SocketException e)
            {
                tcp.Dispose();
                throw new CephBackupException(ExitCode.InvalidInput, $"cannot listen on {ep}: {e.Message}");
            }
        }
        var path = UnixPath!;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path)) RemoveStale(path);
        var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            unix.Bind(new UnixDomainSocketEndPoint(path));
            // NBD has no authentication: the socket's permissions are the only gate.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            unix.Listen(16);
            return unix;
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            unix.Dispose();
            throw new CephBackupException(ExitCode.InvalidInput, $"cannot listen on {path}: {e.Message}");
        }
    }

    private static void RemoveStale(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
            return;
        }
        throw new CephBackupException(ExitCode.InvalidInput, $"{path} is in use by another server (another mount of this point?)");
    }

    /// <summary>The client URI of a bound socket, e.g. <c>nbd+unix:///NAME?socket=PATH</c>.</summary>
    public static string Uri(Socket bound, string exportName) => bound.LocalEndPoint switch
    {
        IPEndPoint ip => $"nbd://{(ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip.Address}]" : ip.Address.ToString())}:{ip.Port}/{exportName}",
        _ => $"nbd+unix:///{exportName}?socket={((UnixDomainSocketEndPoint)bound.LocalEndPoint!)}",
    };
}
