using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Storage;
// SmtpServer and SmtpResponse exist in both MailKit and the SmtpServer package.
using Server = SmtpServer.SmtpServer;
using ServerResponse = SmtpServer.Protocol.SmtpResponse;
using ServerServiceProvider = SmtpServer.ComponentModel.ServiceProvider;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>A message as the test SMTP server stored it, with the envelope and the session's AUTH user.</summary>
public sealed record ReceivedMail(MimeMessage Message, string EnvelopeFrom, IReadOnlyList<string> EnvelopeTo, string? AuthenticatedUser);

/// <summary>
/// A real SMTP server in the test process on 127.0.0.1 (plain text, no TLS). With credentials it advertises AUTH,
/// accepts only that user/password and refuses mail from unauthenticated sessions.
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ReceivedMail> _received = [];
    private readonly List<string> _authenticatedUsers = [];
    private int _sessions;
    private Server? _server;
    private Task? _run;

    public int Port { get; }
    public string? User { get; }

    private TestSmtpServer(int port, string? user) { Port = port; User = user; }

    public static async Task<TestSmtpServer> StartAsync(string? user = null, string? password = null)
    {
        var smtp = new TestSmtpServer(FreePort(), user);
        await smtp.RunAsync(password);
        return smtp;
    }

    /// <summary>A port nothing listens on right now (the OS picked it and it was released again).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }

    public IReadOnlyList<ReceivedMail> Received { get { lock (_gate) return [.. _received]; } }
    public IReadOnlyList<MimeMessage> Messages { get { lock (_gate) return [.. _received.Select(r => r.Message)]; } }
    public IReadOnlyList<string> AuthenticatedUsers { get { lock (_gate) return [.. _authenticatedUsers]; } }
    /// <summary>TCP sessions opened by clients; proves "nothing even connected", not just "nothing was stored".</summary>
    public int SessionCount => Volatile.Read(ref _sessions);

    /// <summary>Waits until at least <paramref name="count"/> messages are stored; the server saves after the client's QUIT may race ahead.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var now = Received;
            if (now.Count >= count) return now;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"test SMTP server got {now.Count} of {count} expected messages within {timeout}");
            await Task.Delay(20);
        }
    }

    private async Task RunAsync(string? password)
    {
        var withAuth = User is not null;
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(b => b
                .Endpoint(new IPEndPoint(IPAddress.Loopback, Port))
                .AllowUnsecureAuthentication(withAuth)
                .AuthenticationRequired(withAuth))
            .Build();

        // Clients connecting before the socket is bound would see "connection refused", so StartAsync waits for this.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, _) => started.TrySetResult();

        var services = new ServerServiceProvider();
        services.Add(listeners);
        services.Add(new Store(this));
        if (withAuth)
            services.Add(new DelegatingUserAuthenticator((u, p) =>
            {
                var ok = u == User && p == password;
                if (ok) lock (_gate) _authenticatedUsers.Add(u);
                return ok;
            }));

        _server = new Server(options, services);
        _server.SessionCreated += (_, _) => Interlocked.Increment(ref _sessions);
        _run = _server.StartAsync(CancellationToken.None);

        var first = await Task.WhenAny(started.Task, _run, Task.Delay(TimeSpan.FromSeconds(10)));
        if (first == _run) await _run; // surfaces the bind error
        if (first != started.Task) throw new TimeoutException($"test SMTP server did not start listening on port {Port}");
    }

    private void Add(ReceivedMail mail) { lock (_gate) _received.Add(mail); }

    public async ValueTask DisposeAsync()
    {
        if (_server is null) return;
        _server.Shutdown();
        await _server.ShutdownTask;
        if (_run is not null)
        {
            try { await _run; }
            catch (OperationCanceledException) { }
        }
    }

    private sealed class Store(TestSmtpServer owner) : MessageStore
    {
        public override async Task<ServerResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            await using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            owner.Add(new ReceivedMail(
                message,
                transaction.From.AsAddress(),
                [.. transaction.To.Select(t => t.AsAddress())],
                context.Authentication.IsAuthenticated ? context.Authentication.User : null));
            return ServerResponse.Ok;
        }
    }
}
