using System.Net;
using System.Net.Sockets;

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

    public static LoopbackNetwork Create(RunSlot slot, int nodes, string why)
    {
        var ports = FreePorts(nodes * 3);
        var addresses = Enumerable.Range(0, nodes)
            .Select(i => new NodeAddress(i, "127.0.0.1", ports[i * 3], ports[(i * 3) + 1], ports[(i * 3) + 2]))
            .ToArray();
        return new LoopbackNetwork(slot, addresses, why);
    }

    public override IReadOnlyList<string> LaunchPrefix(int node) => [];

    public override Task CutAsync(IReadOnlyCollection<LinkCut> cuts) =>
        cuts.Count == 0 ? Task.CompletedTask : throw new NotSupportedException($"partitions need network namespaces: {_why}");

    // Holding every listener until all are chosen keeps the ports distinct; a race with another program is possible
    // but shows up at once as a node that cannot listen.
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
