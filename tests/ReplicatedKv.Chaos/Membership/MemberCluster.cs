using System.Globalization;
using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Chaos.Membership;

/// <summary>
/// Real rkv-server processes whose membership changes while they run (issue 16): a few start as a brand-new
/// cluster, the others are added later through the leader (Cluster.AddMember) and then started on an empty data
/// directory with <c>--initial-cluster-state existing</c> and <c>--peers</c> listing the members at that moment,
/// themselves included, as an operator would. All on loopback ports the kernel picked; node i is n(i+1).
/// </summary>
internal sealed class MemberCluster : IAsyncDisposable
{
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(15);
    private readonly LoopbackNetwork _network;
    private readonly ServerBinary _binary = ServerBinary.Locate();
    private readonly ChaosNode?[] _nodes;
    private readonly List<int> _members;
    private readonly string _folder;
    private readonly string _clusterId;
    private readonly string _peerSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private MemberCluster(LoopbackNetwork network, string folder, int initial)
    {
        _network = network;
        _folder = folder;
        _nodes = new ChaosNode?[network.Nodes.Count];
        _members = [.. Enumerable.Range(0, initial)];
        _clusterId = "rkv-members-" + network.Slot.Number.ToString(CultureInfo.InvariantCulture);
        Client = new KvClient(new KvClientOptions { Endpoints = [.. network.Nodes.Select(a => a.ClientUrl)], DefaultTimeout = ChangeTimeout });
    }

    // A joining node waits out 3 x --max-message-age before it may vote (the rule that also guards a lost disk):
    // 3 s instead of the default 10 s keeps each addition to seconds; one machine's clocks agree far better than 1.5 s.
    public NodeSettings Settings { get; } = new() { MaxMessageAge = TimeSpan.FromSeconds(3) };

    /// <summary>A client of every address (members or not yet): it follows the leader hints.</summary>
    public KvClient Client { get; }

    public IReadOnlyList<int> Members => _members;

    public IEnumerable<ChaosNode> Running => _nodes.Where(n => n is { IsRunning: true }).Select(n => n!);

    public TimeSpan ElectionTimeout => Settings.TickInterval * Settings.ElectionTicks;

    public static async Task<MemberCluster> StartAsync(int initial, int capacity, string folder, TextWriter log)
    {
        var slot = await RunSlot.ClaimAsync(log).ConfigureAwait(false);
        var cluster = new MemberCluster(LoopbackNetwork.Create(slot, capacity, "membership tests"), folder, initial);
        foreach (var index in cluster._members)
        {
            cluster.StartNode(index, ["--initial-cluster-state", "new"]);
        }

        return cluster;
    }

    public NodeAddress Address(int index) => _network.Nodes[index];

    public IReadOnlyList<Uri> ClientUrls(IEnumerable<int> nodes) => [.. nodes.Select(i => Address(i).ClientUrl)];

    public ChaosNode Node(int index) => _nodes[index] ?? throw new InvalidOperationException($"{Address(index).Id} was never started");

    /// <summary>Adds node <paramref name="index"/> through the leader, then starts it empty to join; returns the new configuration.</summary>
    public async Task<MemberChangeResponse> AddAsync(int index, bool learner = false)
    {
        var address = Address(index);
        var answer = await Client.AddMemberAsync(address.Id, address.PeerUrl, address.ClientUrl, learner).ConfigureAwait(false);
        _members.Add(index);
        StartNode(index, ["--initial-cluster-state", "existing"]);
        return answer;
    }

    public async Task<MemberChangeResponse> RemoveAsync(int index)
    {
        var answer = await Client.RemoveMemberAsync(Address(index).Id).ConfigureAwait(false);
        _members.Remove(index);
        return answer;
    }

    /// <summary>Waits until the leader lists node <paramref name="index"/> as a voter (a learner is promoted once caught up).</summary>
    public async Task WaitVoterAsync(int index, TimeSpan within)
    {
        var id = Address(index).Id;
        var deadline = DateTime.UtcNow + within;
        string seen = "no leader answered";
        while (DateTime.UtcNow < deadline)
        {
            if (await LeaderStatusAsync().ConfigureAwait(false) is { } status)
            {
                var role = status.NodeId == id ? status.MemberRole : status.Peers.FirstOrDefault(p => p.NodeId == id)?.MemberRole ?? MemberRole.None;
                if (role == MemberRole.Voter)
                {
                    return;
                }

                seen = $"{status.NodeId} (leader) sees {id} as {role}";
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"{id} was not a voter within {within.TotalSeconds:0} s: {seen}");
    }

    /// <summary>The status of the running node that says it leads, or null.</summary>
    public async Task<StatusResponse?> LeaderStatusAsync()
    {
        foreach (var node in Running)
        {
            try
            {
                var status = await Client.StatusAsync(node.Address.ClientUrl, timeout: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                if (status.Role == NodeRole.Leader)
                {
                    return status;
                }
            }
            catch (KvException)
            {
                // Not answering (killed, starting): ask the next.
            }
        }

        return null;
    }

    public async Task<string> WaitLeaderAsync(TimeSpan within, string? other = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (await LeaderStatusAsync().ConfigureAwait(false) is { } status && status.NodeId != other)
            {
                return status.NodeId;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"no leader{(other is null ? "" : " other than " + other)} within {within.TotalSeconds:0} s");
    }

    /// <summary>Every running member's applied-state hash, once they all agree at the same applied slot (null if they do not in time).</summary>
    public async Task<string?> ConvergedHashAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var views = new List<StatusResponse>();
            foreach (var index in _members.Where(i => _nodes[i] is { IsRunning: true }))
            {
                try
                {
                    views.Add(await Client.StatusAsync(Address(index).ClientUrl, includeStateHash: true, timeout: TimeSpan.FromSeconds(2)).ConfigureAwait(false));
                }
                catch (KvException)
                {
                    break;
                }
            }

            if (views.Count == _members.Count(i => _nodes[i] is { IsRunning: true }) && views.Select(v => (v.AppliedSlot, v.StateHash)).Distinct().Count() == 1)
            {
                return views[0].StateHash;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        return null;
    }

    public int IndexOf(string id) => _network.Nodes.Single(a => a.Id == id).Index;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_nodes.Where(n => n is not null).Select(n => n!.KillAsync())).ConfigureAwait(false);
        }
        finally
        {
            foreach (var node in _nodes)
            {
                node?.KillNow();
            }

            await Client.DisposeAsync().ConfigureAwait(false);
            await _network.DisposeAsync().ConfigureAwait(false);
        }
    }

    // A node's flags name the members as they are when it first starts, itself included; it keeps them for restarts
    // (a node with data takes its configuration from its log).
    private void StartNode(int index, IReadOnlyList<string> flags)
    {
        var address = Address(index);
        var members = _members.Select(Address).ToArray();
        _nodes[index] ??= new ChaosNode(address, Path.Combine(_folder, address.Id), [], _binary,
        [
            "--node-id", address.Id,
            "--client-url", Trim(address.ClientUrl),
            "--peer-url", Trim(address.PeerUrl),
            "--admin-url", Trim(address.AdminUrl),
            "--advertise-client-url", Trim(address.ClientUrl),
            "--peers", string.Join(',', members.Select(m => $"{m.Id}={Trim(m.PeerUrl)}")),
            "--member-client-urls", string.Join(',', members.Select(m => $"{m.Id}={Trim(m.ClientUrl)}")),
            "--cluster-id", _clusterId,
            .. Settings.Flags(),
        ]);
        _nodes[index]!.Start(flags, new Dictionary<string, string> { ["RKV_PEER_SECRET"] = _peerSecret }, _network.Slot.RecordNodePid);
    }

    private static string Trim(Uri url) => url.ToString().TrimEnd('/');
}
