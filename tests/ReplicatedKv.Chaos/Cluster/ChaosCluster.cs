using System.Globalization;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// A cluster of real rkv-server processes on a <see cref="ClusterNetwork"/>: start, restart on the same data,
/// kill -9, freeze, readiness, status. Disposing kills every node, whatever state it is in; the network is the
/// caller's to dispose, after the cluster.
/// </summary>
internal sealed class ChaosCluster : IAsyncDisposable
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(1);
    private readonly KvClient _statusClient;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly NodeSettings _settings;
    private readonly TextWriter _log;

    // Peer streams are authenticated as in production: one random secret per cluster, given by variable.
    private readonly string _peerSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private ChaosCluster(ClusterNetwork network, IReadOnlyList<ChaosNode> nodes, NodeSettings settings, TextWriter log)
    {
        Network = network;
        Nodes = nodes;
        _settings = settings;
        _log = log;
        ClientUrls = nodes.Select(n => n.Address.ClientUrl).ToArray();
        _statusClient = new KvClient(new KvClientOptions { Endpoints = ClientUrls, ConnectionsPerEndpoint = 1 });
    }

    public ClusterNetwork Network { get; }

    public IReadOnlyList<ChaosNode> Nodes { get; }

    public IReadOnlyList<Uri> ClientUrls { get; }

    public int Majority => (Nodes.Count / 2) + 1;

    /// <summary>The flags every node was started with besides its addresses.</summary>
    public NodeSettings Settings => _settings;

    public static ChaosCluster Create(ClusterNetwork network, ServerBinary binary, string folder, NodeSettings settings, TextWriter log)
    {
        var addresses = network.Nodes;
        var clusterId = "rkv-chaos-" + network.Slot.Number.ToString(CultureInfo.InvariantCulture);
        var nodes = addresses.Select(a => new ChaosNode(a, Path.Combine(folder, a.Id), network.LaunchPrefix(a.Index), binary,
        [
            "--node-id", a.Id,
            "--client-url", a.ClientUrl.ToString().TrimEnd('/'),
            "--peer-url", a.PeerUrl.ToString().TrimEnd('/'),
            "--admin-url", a.AdminUrl.ToString().TrimEnd('/'),
            "--advertise-client-url", a.ClientUrl.ToString().TrimEnd('/'),
            "--peers", PeersFor(network, a.Index),
            "--member-client-urls", string.Join(',', addresses.Select(m => $"{m.Id}={m.ClientUrl.ToString().TrimEnd('/')}")),
            "--cluster-id", clusterId,
            .. settings.Flags(),
        ])).ToArray();
        return new ChaosCluster(network, nodes, settings, log);
    }

    /// <summary>Node <paramref name="node"/>'s <c>--peers</c>: every member by the URL the network gives it for that member.</summary>
    public static string PeersFor(ClusterNetwork network, int node)
    {
        ArgumentNullException.ThrowIfNull(network);
        return string.Join(',', network.Nodes.Select(a => $"{a.Id}={network.PeerUrlFor(node, a.Index).ToString().TrimEnd('/')}"));
    }

    /// <summary>
    /// Starts every node that is not running. The first start of a brand-new cluster says so
    /// (<c>--initial-cluster-state new</c>, as an operator would, saving the empty-disk probe's wait); later
    /// starts find data on disk and the flag does not matter.
    /// </summary>
    public void StartAll()
    {
        foreach (var node in Nodes.Where(n => !n.IsRunning))
        {
            Start(node);
        }
    }

    public void Start(ChaosNode node, IReadOnlyList<string>? extraFlags = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var environment = new Dictionary<string, string> { ["RKV_PEER_SECRET"] = _peerSecret };
        if (_settings.EnableFailpoints)
        {
            environment[FailpointNames.EnvironmentVariable] = "on";
        }

        var flags = extraFlags ?? (node.Starts == 0 ? ["--initial-cluster-state", "new"] : []);
        node.Start(flags, environment, Network.Slot.RecordNodePid);
    }

    /// <summary>True once every serving node answers <c>/readyz</c> with 200 (it sees a leader with a live quorum).</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var serving = Nodes.Where(n => n.IsServing).ToArray();
            var answers = await Task.WhenAll(serving.Select(n => IsReadyAsync(n, cancellationToken))).ConfigureAwait(false);
            if (serving.Length >= Majority && answers.All(ready => ready))
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                var notReady = serving.Where((_, i) => !answers[i]).Select(n => n.Id);
                await _log.WriteLineAsync($"rkv-chaos: not ready after {timeout.TotalSeconds:0} s: {string.Join(", ", notReady)}").ConfigureAwait(false);
                return false;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Time from <paramref name="started"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) until the node answers
    /// <c>/readyz</c> with 200, polled every 50 ms; null if it is not ready within <paramref name="timeout"/> or stops
    /// running first.
    /// </summary>
    public async Task<TimeSpan?> TimeUntilReadyAsync(ChaosNode node, long started, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(node);
        while (node.IsRunning && System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (node.IsServing && await IsReadyAsync(node, CancellationToken.None).ConfigureAwait(false))
            {
                return System.Diagnostics.Stopwatch.GetElapsedTime(started);
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>One node's own view, or null when it does not answer within a second.</summary>
    public async Task<StatusResponse?> StatusAsync(ChaosNode node, bool includeStateHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        try
        {
            return await _statusClient.StatusAsync(node.Address.ClientUrl, includeStateHash, StatusTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (KvException)
        {
            return null;
        }
    }

    /// <summary>The node a majority of the serving nodes name as leader, or null while there is none.</summary>
    public async Task<ChaosNode?> FindLeaderAsync(CancellationToken cancellationToken)
    {
        var serving = Nodes.Where(n => n.IsServing).ToArray();
        var views = await Task.WhenAll(serving.Select(n => StatusAsync(n, includeStateHash: false, cancellationToken))).ConfigureAwait(false);
        var named = views.Where(v => v is { LeaderId.Length: > 0 }).GroupBy(v => v!.LeaderId).MaxBy(g => g.Count());
        return named is not null && named.Count() >= Majority ? Nodes.FirstOrDefault(n => n.Id == named.Key && n.IsServing) : null;
    }

    /// <summary>Arms a failpoint on a node started with them enabled.</summary>
    public async Task<FailpointArming> ArmFailpointAsync(ChaosNode node, string name, string spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        try
        {
            using var content = new StringContent(spec);
            using var response = await _http.PutAsync(new Uri(node.Address.AdminUrl, "/failpoints/" + name), content, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? FailpointArming.Armed : FailpointArming.Refused;
        }
        catch (HttpRequestException)
        {
            return FailpointArming.NoAnswer;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return FailpointArming.NoAnswer;
        }
    }

    public async Task KillAllAsync()
    {
        await Task.WhenAll(Nodes.Select(n => n.KillAsync())).ConfigureAwait(false);
    }

    /// <summary>Synchronous last resort (process exit, Ctrl+C): SIGKILL every node, no waiting.</summary>
    public void KillAllNow()
    {
        foreach (var node in Nodes)
        {
            node.KillNow();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAllAsync().ConfigureAwait(false);
        }
        finally
        {
            KillAllNow();
            await _statusClient.DisposeAsync().ConfigureAwait(false);
            _http.Dispose();
        }
    }

    private async Task<bool> IsReadyAsync(ChaosNode node, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(node.Address.AdminUrl, "/readyz"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
