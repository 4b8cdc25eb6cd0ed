using Grpc.Net.Client;
using ReplicatedKv.LocalCluster;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// A ReplicatedKv cluster of real rkv-server processes from this build (Release under <c>dotnet run -c Release</c>),
/// started the way rkv-local starts them: the same layout, flags and peer secret handling, each node with its own
/// data directory (fsync on, as always) under the run's folder, on free loopback ports.
/// </summary>
internal sealed class ReplicatedKvCluster(IReadOnlyList<NodeProcess> nodes, IReadOnlyList<NodeLayout> layout, ServerLocation server,
    string peerSecret, ConsoleOutput console) : LoadTarget
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(60);
    private static readonly string[] ServerFlags = ["--log-level", "Warning"];
    private readonly List<NodeProcess> _nodes = [.. nodes];

    public override string Store => "replicatedkv";

    public override int Members => layout.Count;

    public override IReadOnlyList<string> ClientUrls => layout.Select(n => n.ClientUrl).ToArray();

    public override IReadOnlyList<int> Pids => _nodes.Select(n => n.Pid).ToArray();

    public IReadOnlyList<NodeLayout> Layout => layout;

    /// <summary>Each member's admin URL (health and /metrics).</summary>
    public IReadOnlyList<string> AdminUrls => layout.Select(n => n.AdminUrl).ToArray();

    public static async Task<ReplicatedKvCluster> StartAsync(int members, string root, ServerLocation server, ConsoleOutput console)
    {
        var layout = NodeLayout.Plan(members, FreePorts.BaseFor(members), root);
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var nodes = new List<NodeProcess>();
        for (var i = 0; i < members; i++)
        {
            Directory.CreateDirectory(layout[i].DataDir);
            nodes.Add(NodeProcess.Start(i, layout[i], layout, server, ServerFlags, secret, console));
        }

        var cluster = new ReplicatedKvCluster(nodes, layout, server, secret, console);
        await cluster.WaitReadyAsync().ConfigureAwait(false);
        return cluster;
    }

    public override KvCalls Connect(GrpcChannel channel, KeySet keys) => new KeyValueCalls(channel, keys);

    /// <summary>Every node's /readyz answers 200 (a leader with a live quorum), or throws naming who is not ready.</summary>
    public async Task WaitReadyAsync()
    {
        var (ready, notReady) = await Readiness.WaitAsync(_nodes, ReadyDeadline, CancellationToken.None).ConfigureAwait(false);
        if (!ready)
        {
            throw new InvalidOperationException($"the {Members}-node ReplicatedKv cluster was not ready within {ReadyDeadline.TotalSeconds} s: {notReady}");
        }
    }

    /// <summary>SIGTERM to node <paramref name="index"/>, then waits for it to exit (SIGKILL after the grace period).</summary>
    public async Task StopNodeAsync(int index)
    {
        var node = _nodes[index];
        node.Terminate();
        if (await Task.WhenAny(node.Exited, Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false) != node.Exited)
        {
            node.Kill();
            await node.Exited.ConfigureAwait(false);
        }

        node.Dispose();
    }

    /// <summary>Starts node <paramref name="index"/> again on its data directory (after <see cref="StopNodeAsync"/>).</summary>
    public void StartNode(int index) =>
        _nodes[index] = NodeProcess.Start(index, layout[index], layout, server, ServerFlags, peerSecret, console);

    public NodeProcess Node(int index) => _nodes[index];

    /// <summary>The client URL of the node the first node names as leader (Cluster.Status), or null when it names none.</summary>
    public async Task<string?> LeaderUrlAsync()
    {
        using var channel = GrpcChannel.ForAddress(layout[0].ClientUrl);
        var status = await new ReplicatedKv.Protos.V1.Cluster.ClusterClient(channel)
            .StatusAsync(new ReplicatedKv.Protos.V1.StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
        return layout.FirstOrDefault(n => n.Id == status.LeaderId)?.ClientUrl;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            node.Terminate();
        }

        foreach (var node in _nodes)
        {
            if (await Task.WhenAny(node.Exited, Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false) != node.Exited)
            {
                node.Kill();
            }

            node.Dispose();
        }
    }
}
