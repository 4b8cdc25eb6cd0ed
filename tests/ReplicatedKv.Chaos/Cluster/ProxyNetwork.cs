using System.Globalization;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// Every node on 127.0.0.1, and one <see cref="LinkProxy"/> per directed peer link: node i knows peer j by the
/// address of proxy i→j, so cutting that proxy cuts what i sends j and nothing else (the peer transport sends only
/// on connections it opened itself; j's messages to i travel through proxy j→i). Needs no root and changes nothing
/// on the machine, which is why it is what a run gets when network namespaces cannot be made. Clients, status calls
/// and the admin port reach the nodes directly, so the harness always sees every node.
/// </summary>
internal sealed class ProxyNetwork : ClusterNetwork
{
    private readonly LinkProxy?[,] _links;
    private readonly string _why;

    private ProxyNetwork(RunSlot slot, IReadOnlyList<NodeAddress> nodes, LinkProxy?[,] links, string why)
        : base(slot)
    {
        Nodes = nodes;
        _links = links;
        _why = why;
    }

    public override IReadOnlyList<NodeAddress> Nodes { get; }

    public override bool CanPartition => true;

    public override string Description => $"loopback 127.0.0.1 with a TCP proxy per directed peer link ({_why})";

    public static ProxyNetwork Create(RunSlot slot, int nodes, string why)
    {
        var addresses = LoopbackNetwork.PickAddresses(nodes);
        var links = new LinkProxy?[nodes, nodes];
        for (var from = 0; from < nodes; from++)
        {
            for (var to = 0; to < nodes; to++)
            {
                links[from, to] = from == to ? null : new LinkProxy(addresses[to].PeerPort);
            }
        }

        return new ProxyNetwork(slot, addresses, links, why);
    }

    public override IReadOnlyList<string> LaunchPrefix(int node) => [];

    public override Uri PeerUrlFor(int from, int to) =>
        _links[from, to] is { } link ? new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{link.Port}")) : Nodes[to].PeerUrl;

    public override Task CutAsync(IReadOnlyCollection<LinkCut> cuts)
    {
        var cut = cuts.ToHashSet();
        foreach (var (from, to, link) in Links())
        {
            if (cut.Contains(new LinkCut(from, to)))
            {
                link.Cut();
            }
            else
            {
                link.Heal();
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Holds what node <paramref name="from"/> sends node <paramref name="to"/> this long (zero: no delay).</summary>
    public void SetDelay(int from, int to, TimeSpan delay) =>
        (_links[from, to] ?? throw new ArgumentException("a node has no link to itself", nameof(to))).Delay = delay;

    public override async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Links().Select(l => l.Link.DisposeAsync().AsTask())).ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private IEnumerable<(int From, int To, LinkProxy Link)> Links()
    {
        for (var from = 0; from < _links.GetLength(0); from++)
        {
            for (var to = 0; to < _links.GetLength(1); to++)
            {
                if (_links[from, to] is { } link)
                {
                    yield return (from, to, link);
                }
            }
        }
    }
}
