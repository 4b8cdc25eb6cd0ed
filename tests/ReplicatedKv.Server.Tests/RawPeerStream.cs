using Grpc.Core;
using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Transport;
using ReplicatedKv.Transport;
using ReplicatedKv.Transport.Authentication;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>Peer streams opened by hand against a test cluster's peer ports, as a stranger or a lying member would.</summary>
internal static class RawPeerStream
{
    /// <summary>One stream to node <paramref name="to"/> carrying <paramref name="batch"/>; the error that ended it, or null if none.</summary>
    public static Task<RpcException?> SendAsync(TestCluster cluster, int to, Metadata headers, Wire.PeerBatch batch) =>
        PeerStreamProbe.SendAsync(cluster.Settings[to].PeerUrl, headers, batch);

    /// <summary>A batch under <paramref name="from"/>'s name and the cluster's id, carrying <paramref name="messages"/>.</summary>
    public static Wire.PeerBatch Batch(TestCluster cluster, int from, params Wire.PeerMessage[] messages)
    {
        var batch = new Wire.PeerBatch
        {
            ClusterId = cluster.Settings[from].ClusterId,
            From = cluster.Settings[from].NodeId,
            SentUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        batch.Messages.Add(messages);
        return batch;
    }

    /// <summary>Makes stream headers as node <paramref name="as"/> would, with <paramref name="secret"/> and <paramref name="time"/>.</summary>
    public static SharedSecretAuthenticator Impersonate(TestCluster cluster, int @as, string secret, TimeProvider? time = null)
    {
        var settings = cluster.Settings[@as];
        return new SharedSecretAuthenticator(ClusterMembers.Parse(settings.ClusterId, settings.NodeId, settings.Peers), PeerSecret.FromText(secret),
            time ?? TimeProvider.System);
    }

    /// <summary>A prepare at round 1000 from <paramref name="from"/>: taken, it would move <paramref name="to"/>'s promise and unseat the leader.</summary>
    public static Wire.PeerMessage DisruptivePrepare(TestCluster cluster, int from, int to) =>
        PeerWireCodec.ToWire(new Prepare(cluster.MemberId(from), cluster.MemberId(to), new Ballot(1000, cluster.MemberId(from)), 1));
}
