using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// Members with real <see cref="GrpcPeerTransport"/>s and <see cref="PeerLinkService"/> endpoints on loopback,
/// hosted the way the server hosts its peer port (HTTP/2 only, inbound streams closed before the host stops).
/// Ports are chosen by the OS at first start and kept across restarts.
/// </summary>
public sealed class GrpcPeerCluster : IPeerCluster
{
    // Generous ages and short reconnect backoff: a loaded test machine must not age messages out.
    private static readonly PeerLinkOptions Options = new()
    {
        MaxMessageAge = TimeSpan.FromMinutes(1),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(250),
    };

    private readonly Member[] _members;

    private GrpcPeerCluster(int size) => _members = [.. Enumerable.Range(1, size).Select(id => new Member(id))];

    public int Size => _members.Length;

    public string ClusterId => "contract-grpc";

    /// <param name="size">Number of members.</param>
    /// <param name="secret">Authenticate every stream with this shared secret; null runs them unauthenticated.</param>
    public static async Task<GrpcPeerCluster> CreateAsync(int size, PeerSecret? secret = null)
    {
        // Member names sort in id order only below ten (n10 < n2).
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 9);
        var cluster = new GrpcPeerCluster(size);
        try
        {
            foreach (var member in cluster._members)
            {
                await member.StartServerAsync();
            }

            var peers = string.Join(',', cluster._members.Select(m => $"{m.Name}=http://127.0.0.1:{m.Port}"));
            foreach (var member in cluster._members)
            {
                member.Members = ClusterMembers.Parse(cluster.ClusterId, member.Name, peers);
                member.Members.SelfId.Should().Be(member.Id);
                member.Authenticator = PeerAuthenticators.Create(member.Members, secret, clientCertificates: false, TimeProvider.System);
                member.StartTransport();
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string NameOf(int id) => _members[id - 1].Name;

    /// <summary>Member <paramref name="id"/>'s peer port.</summary>
    public Uri PeerUrlOf(int id) => new($"http://127.0.0.1:{_members[id - 1].Port}");

    public string ClientUrlOf(int id) => _members[id - 1].ClientUrl;

    public IPeerTransport Transport(int id) => _members[id - 1].Transport ?? throw new InvalidOperationException($"member {id} is down");

    public RecordingInbox Inbox(int id) => _members[id - 1].Inbox;

    /// <summary>Member <paramref name="id"/>'s view of the members: its transport and authenticator follow it.</summary>
    public ClusterMembers MembersOf(int id) => _members[id - 1].Members!;

    public Task StopAsync(int id) => _members[id - 1].StopAsync();

    public async Task StartAsync(int id)
    {
        var member = _members[id - 1];
        await member.StartServerAsync();
        member.StartTransport();
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_members.Select(m => m.DisposeAsync().AsTask()));
    }

    private sealed class Member(int id) : IAsyncDisposable
    {
        private WebApplication? _app;
        private PeerStreamLifetime? _lifetime;

        public int Id { get; } = id;

        public string Name => $"n{Id}";

        public string ClientUrl => $"http://{Name}.clients.invalid:7100";

        public int Port { get; private set; }

        /// <summary>Set once every port is known; the peer service resolves it per call, after that.</summary>
        public ClusterMembers? Members { get; set; }

        public IPeerAuthenticator? Authenticator { get; set; }

        public RecordingInbox Inbox { get; private set; } = new();

        public GrpcPeerTransport? Transport { get; private set; }

        public async Task StartServerAsync()
        {
            Inbox = new RecordingInbox();
            _lifetime = new PeerStreamLifetime();
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
                kestrel.Listen(IPAddress.Loopback, Port, listen => listen.Protocols = HttpProtocols.Http2));
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
            builder.Services.AddGrpc().AddServiceOptions<PeerLinkService>(o => o.MaxReceiveMessageSize = Options.MaxMessageBytes);
            builder.Services.AddSingleton(_ => Members ?? throw new InvalidOperationException("members not known yet"));
            builder.Services.AddSingleton<IPeerInbox>(Inbox);
            builder.Services.AddSingleton(_lifetime);
            builder.Services.AddSingleton(Options);
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton(_ => Authenticator ?? throw new InvalidOperationException("members not known yet"));
            var app = builder.Build();
            app.MapGrpcService<PeerLinkService>();
            await app.StartAsync();
            _app = app;
            Port = new Uri(app.Urls.Single()).Port;
        }

        public void StartTransport() =>
            Transport = new GrpcPeerTransport(Members!, Authenticator!, Options, NullLoggerFactory.Instance);

        public async Task StopAsync()
        {
            if (Transport is { } transport)
            {
                Transport = null;
                await transport.DisposeAsync();
            }

            if (_app is { } app)
            {
                _app = null;

                // As the server does: end the inbound streams, which never finish by themselves, then stop.
                _lifetime!.Close();
                await app.StopAsync();
                await app.DisposeAsync();
                _lifetime.Dispose();
            }
        }

        public ValueTask DisposeAsync() => new(StopAsync());
    }
}
