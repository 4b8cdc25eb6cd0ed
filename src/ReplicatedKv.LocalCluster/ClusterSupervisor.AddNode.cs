using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.LocalCluster;

/// <summary>
/// <c>add-node ID</c>: grows the running cluster by one node, as an operator would (README's membership steps):
/// the member is added through the leader first (rkvctl member add, through the client library), then its
/// rkv-server starts on an empty folder with <c>--initial-cluster-state existing</c> and the configuration the
/// cluster answered with as its <c>--peers</c>. It catches up as a learner and is promoted once caught up
/// (<c>add-node ID --learner</c>: it stays a learner until <c>rkvctl member promote ID</c>).
/// </summary>
internal sealed partial class ClusterSupervisor
{
    private static readonly TimeSpan AddTimeout = TimeSpan.FromSeconds(15);

    public async Task AddNodeAsync(string id, bool learner)
    {
        if (!NodeIdPattern().IsMatch(id))
        {
            console.Warn($"add-node: '{id}' is not a node id (1-64 letters, digits, '-', '_' or '.', as --node-id takes it)");
            return;
        }

        IReadOnlyList<NodeLayout> known;
        lock (_gate)
        {
            known = _layout;
        }

        if (known.Any(n => string.Equals(n.Id, id, StringComparison.OrdinalIgnoreCase)))
        {
            console.Warn($"add-node: {id} is a node of this cluster already; 'start {id}' starts it if it is stopped");
            return;
        }

        var root = Path.GetDirectoryName(known[0].DataDir)!;
        var layout = PlanNewNode(id, known.Count, root);
        if (Directory.Exists(layout.DataDir) && Directory.EnumerateFileSystemEntries(layout.DataDir).Any())
        {
            console.Warn($"add-node: {layout.DataDir} holds data; a new member starts empty: delete it first, or choose another id");
            return;
        }

        MemberChangeResponse answer;
        await using (var client = new KvClient(new KvClientOptions { Endpoints = [.. known.Select(n => new Uri(n.ClientUrl))], DefaultTimeout = AddTimeout }))
        {
            try
            {
                answer = await client.AddMemberAsync(id, new Uri(layout.PeerUrl), new Uri(layout.ClientUrl), learner).ConfigureAwait(false);
            }
            catch (KvException ex)
            {
                console.Warn($"add-node: the cluster did not add {id}: {ex.Message}");
                return;
            }
        }

        console.Say($"{id} added to the configuration as a learner (decided at slot {answer.ConfigurationSlot}); starting it with --initial-cluster-state existing " +
            $"on {layout.ClientUrl} (peer {layout.PeerUrl}, admin {layout.AdminUrl})");
        Directory.CreateDirectory(layout.DataDir);
        int index;
        lock (_gate)
        {
            _layout = [.. _layout, layout];
            _current = [.. _current, null!];
            index = _layout.Count - 1;
        }

        // The node's folder now belongs to this cluster: a later run over this data folder sees one more node.
        DataFolder.RecordSize(root, index + 1);
        var members = answer.Members.Select(m => new MemberAddress(m.NodeId, m.PeerUrl, m.ClientUrl)).ToArray();
        if (!TryStart(index, ["--initial-cluster-state", "existing"], members))
        {
            console.Warn($"add-node: {id} is a member now but its server did not start; 'start {id}' tries again, 'rkvctl member remove {id}' undoes the addition");
            return;
        }

        console.Say($"{id} started (pid {_current[index].Pid}); it catches up as a learner" +
            (learner ? $" and stays one until 'rkvctl member promote {id}'" : " and becomes a voter once caught up") + $"; 'rkvctl member list' shows its role and lag");
        _ = ReportJoinedAsync(_current[index]);
    }

    private async Task ReportJoinedAsync(NodeProcess node)
    {
        try
        {
            var (ready, notReady) = await Readiness.WaitAsync([node], TimeSpan.FromSeconds(60), signals.StopRequested).ConfigureAwait(false);
            if (ready)
            {
                console.Say($"{node.Layout.Id} is ready (it follows the leader)");
            }
            else
            {
                console.Warn($"{node.Layout.Id} is not ready after 60 s ({notReady}); see its output above");
            }
        }
        catch (OperationCanceledException)
        {
            // The launcher is stopping.
        }
    }

    /// <summary>
    /// The next node's ports by the launcher's rule (base port + its index, +100 peer, +200 admin); when any of them is
    /// taken or past the last port, three the kernel picks.
    /// </summary>
    private NodeLayout PlanNewNode(string id, int index, string root)
    {
        var dataDir = Path.Combine(root, id);
        if (options.BasePort + 200 + index <= IPEndPoint.MaxPort)
        {
            var planned = new NodeLayout(id, options.BasePort + index, options.BasePort + 100 + index, options.BasePort + 200 + index, dataDir);
            if (PortCheck.FindBusy([planned]) is null)
            {
                return planned;
            }
        }

        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return new NodeLayout(id, ports[0], ports[1], ports[2], dataDir);
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NodeIdPattern();
}
