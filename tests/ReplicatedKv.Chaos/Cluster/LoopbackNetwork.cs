using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>Every node on 127.0.0.1 with ports the kernel picked as free; no way to partition anyone.</summary>
internal sealed class LoopbackNetwork : ClusterNetwork
{
    private readonly string _why;

    private LoopbackNetwork(RunSlot slot, IReadOnlyList<NodeAddress> nodes, string why)
        : base(slot)
    {
        Nodes = nodes;
        _why = why;
    }

    public override IReadOnlyList<NodeAddress> Nodes { get; }

    public override bool CanPartition => false;

    public override string Description => $"loopback 127.0.0.1, no partitions possible ({_why})";

    public static LoopbackNetwork Create(RunSlot slot, int nodes, string why) => new(slot, PickAddresses(nodes), why);

    /// <summary>Client, peer and admin ports for each node on 127.0.0.1, all free right now.</summary>
    public static IReadOnlyList<NodeAddress> PickAddresses(int nodes)
    {
        var ports = FreePorts.Pick(nodes * 3);
        return Enumerable.Range(0, nodes)
            .Select(i => new NodeAddress(i, "127.0.0.1", ports[i * 3], ports[(i * 3) + 1], ports[(i * 3) + 2]))
            .ToArray();
    }

    public override IReadOnlyList<string> LaunchPrefix(int node) => [];

    public override Task CutAsync(IReadOnlyCollection<LinkCut> cuts) =>
        cuts.Count == 0 ? Task.CompletedTask : throw new NotSupportedException($"partitions need namespaces or proxies, not plain loopback: {_why}");
}
