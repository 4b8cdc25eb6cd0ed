using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Hosting;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Storage;
using ReplicatedKv.Testing.Transport;
using ReplicatedKv.Transport;
using ReplicatedKv.Transport.Authentication;
using ReplicatedKv.Transport.Tls;

namespace ReplicatedKv.Testing.Clusters;

/// <summary>
/// A cluster of real rkv-server hosts in this process, each with its own loopback ports and data directory.
/// Nodes can be stopped (abruptly: the host is torn down without draining), wiped and restarted. Peers talk over
/// gRPC on their peer ports, or, when started with <c>inMemoryPeers</c>, over one shared
/// <see cref="InMemoryPeerNetwork"/> (<see cref="Network"/>) that tests partition; clients use gRPC either way.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly ServerHost?[] _hosts;
    private readonly GrpcChannel[] _channels;
    private readonly string _root;
    private readonly InMemoryPeerNetwork? _network;
    private readonly ClusterMembers[] _members;
    private readonly Func<int, IStorageFiles>? _storageFiles;

    private TestCluster(ServerSettings[] settings, string root, bool inMemoryPeers, Func<int, IStorageFiles>? storageFiles)
    {
        Settings = settings;
        _storageFiles = storageFiles;
        _root = root;
        _members = settings.Select(s => ClusterMembers.Parse(s.ClusterId, s.NodeId, s.Peers, s.MemberClientUrls)).ToArray();
        if (inMemoryPeers)
        {
            var names = _members[0];
            _network = new InMemoryPeerNetwork(names.Count, names.ClusterId, names.NameOf);
        }

        _hosts = new ServerHost?[settings.Length];
        _channels = settings.Select(s => GrpcChannel.ForAddress(s.AdvertiseClientUrl, ChannelOptionsFor(s))).ToArray();
    }

    public ServerSettings[] Settings { get; }

    public int Size => Settings.Length;

    /// <summary>Starts <paramref name="size"/> nodes with test-sized timings, each changed by <paramref name="adjust"/> if given.</summary>
    /// <param name="size">Number of nodes.</param>
    /// <param name="adjust">Changes to each node's settings.</param>
    /// <param name="withAdminPorts">Also give each node an HTTP/1.1 admin port (/healthz, /readyz, /metrics): <see cref="AdminUrl"/>.</param>
    /// <param name="inMemoryPeers">Carry peer messages over one shared <see cref="InMemoryPeerNetwork"/> (<see cref="Network"/>) instead of gRPC.</param>
    /// <param name="storageFiles">
    /// The files each node's write-ahead log lives in, by node index (a disk twin such as InMemoryFiles that a test
    /// fills up); return the same instance every time so a restarted node finds its log. Null: the real disk.
    /// </param>
    /// <param name="peerSecret">The shared secret every node's peer streams are authenticated with; null runs them unauthenticated.</param>
    /// <param name="spares">
    /// Nodes (after the first <paramref name="size"/>) given ports and settings but not started: each is to join the
    /// running cluster (<c>--initial-cluster-state existing</c>, its <c>--peers</c> the bootstrap members and itself)
    /// once a test adds it (<see cref="PeerUrlOf"/>, <see cref="StartNodeAsync"/>). Not with <paramref name="inMemoryPeers"/>.
    /// </param>
    public static async Task<TestCluster> StartAsync(int size, Func<ServerSettings, ServerSettings>? adjust = null, bool withAdminPorts = false, bool inMemoryPeers = false,
        string? peerSecret = null, Func<int, IStorageFiles>? storageFiles = null, int spares = 0)
    {
        if (spares > 0 && inMemoryPeers)
        {
            throw new ArgumentException("spare nodes join over gRPC: not with inMemoryPeers", nameof(spares));
        }

        var total = size + spares;
        var root = Path.Combine(Path.GetTempPath(), "rkv-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = FreePorts(3 * total);
        var peerOf = (int i) => $"n{i + 1}=http://127.0.0.1:{ports[(2 * i) + 1]}";
        var clientOf = (int i) => $"n{i + 1}=http://127.0.0.1:{ports[2 * i]}";
        var peers = string.Join(',', Enumerable.Range(0, size).Select(peerOf));
        var clientUrls = string.Join(',', Enumerable.Range(0, size).Select(clientOf));
        var settings = new ServerSettings[total];
        for (var i = 0; i < total; i++)
        {
            var spare = i >= size;
            var s = new ServerSettings
            {
                NodeId = $"n{i + 1}",
                ClientUrl = new Uri($"http://127.0.0.1:{ports[2 * i]}"),
                PeerUrl = new Uri($"http://127.0.0.1:{ports[(2 * i) + 1]}"),
                AdvertiseClientUrl = $"http://127.0.0.1:{ports[2 * i]}",
                AdminUrl = withAdminPorts ? new Uri($"http://127.0.0.1:{ports[(2 * total) + i]}") : null,
                Peers = spare ? $"{peers},{peerOf(i)}" : peers,
                MemberClientUrls = spare ? $"{clientUrls},{clientOf(i)}" : clientUrls,
                InitialClusterState = spare ? InitialClusterState.Existing : InitialClusterState.Auto,
                PeerSecret = peerSecret is null ? null : PeerSecret.FromText(peerSecret),
                DataDir = Path.Combine(root, $"n{i + 1}"),
                TickInterval = TimeSpan.FromMilliseconds(30),
                RequestTimeout = TimeSpan.FromSeconds(5),
                LogLevel = "Warning",
                ShutdownTimeout = TimeSpan.FromSeconds(2),

                // Short, so a node with an empty disk (every node at first start) waits only 1.5 s before it votes.
                MaxMessageAge = TimeSpan.FromMilliseconds(500),
            };
            settings[i] = adjust?.Invoke(s) ?? s;
        }

        var cluster = new TestCluster(settings, root, inMemoryPeers, storageFiles);
        await Task.WhenAll(Enumerable.Range(0, size).Select(cluster.StartNodeAsync));
        return cluster;
    }

    /// <summary>Node <paramref name="node"/>'s peer URL, as <c>rkvctl member add --peer-url</c> takes it.</summary>
    public string PeerUrlOf(int node) => Settings[node].PeerUrl.ToString().TrimEnd('/');

    /// <summary>The network the peers talk over; only for a cluster started with <c>inMemoryPeers</c>.</summary>
    public InMemoryPeerNetwork Network => _network ?? throw new InvalidOperationException("started without inMemoryPeers");

    /// <summary>The member id of node <paramref name="node"/> (an index here), as <see cref="Network"/> names it.</summary>
    public int MemberId(int node) => _members[node].SelfId;

    public bool IsRunning(int node) => _hosts[node] is not null;

    public ServerHost Host(int node) => _hosts[node] ?? throw new InvalidOperationException($"node {node} is stopped");

    public KeyValue.KeyValueClient Client(int node) => new(_channels[node]);

    public Cluster.ClusterClient Ops(int node) => new(_channels[node]);

    public Uri AdminUrl(int node) => Settings[node].AdminUrl ?? throw new InvalidOperationException("started without admin ports");

    public async Task StartNodeAsync(int node)
    {
        var settings = Settings[node];
        var files = _storageFiles?.Invoke(node);
        _hosts[node] = _network is { } network
            ? await ServerHost.StartAsync(settings, peerTransportFactory: (members, inbox) => network.Connect(members.SelfId, inbox), storageFiles: files)
            : await ServerHost.StartAsync(settings, storageFiles: files);
    }

    public async Task StopNodeAsync(int node)
    {
        if (_hosts[node] is { } host)
        {
            _hosts[node] = null;
            await host.DisposeAsync();
        }
    }

    public void WipeData(int node)
    {
        if (Directory.Exists(Settings[node].DataDir))
        {
            Directory.Delete(Settings[node].DataDir, recursive: true);
        }
    }

    /// <summary>Waits until every running node names the same leader, and returns its index.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var leaders = new HashSet<string>();
            var running = 0;
            for (var i = 0; i < Size; i++)
            {
                if (_hosts[i] is { } host)
                {
                    running++;
                    leaders.Add(host.Node.View.SeesLiveQuorum ? host.Node.View.LeaderName ?? "" : "");
                }
            }

            if (leaders.Count == 1 && leaders.Single() is { Length: > 0 } name && running > 0)
            {
                var index = Array.FindIndex(Settings, s => s.NodeId == name);
                if (_hosts[index] is not null)
                {
                    return index;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no agreed leader within the timeout; views: {string.Join(", ", leaders)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Retries a call through UNAVAILABLE (leader changes, restarts) until it succeeds or time runs out.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public static CallOptions Deadline(double seconds = 10) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < Size; i++)
        {
            await StopNodeAsync(i);
            _channels[i].Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int[] FreePorts(int count) => Ports.FreePorts.Pick(count);

    // A TLS node is called trusting its client CA and, with client-cert-auth, presenting the node's own certificate.
    private static GrpcChannelOptions ChannelOptionsFor(ServerSettings settings)
    {
        var security = settings.Security;
        if (!security.ClientTls)
        {
            return new GrpcChannelOptions();
        }

        var roots = PemFiles.LoadBundle([security.TrustedCaFile ?? throw new InvalidOperationException("a TLS test node needs a TrustedCaFile to be called")]);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => CertificateTrust.IsTrustedServer(certificate, errors, roots);
        if (security.ClientCertAuth)
        {
            handler.SslOptions.ClientCertificates = [PemFiles.LoadCertificate([security.CertFile!, security.KeyFile!])];
        }

        return new GrpcChannelOptions { HttpHandler = handler };
    }
}
