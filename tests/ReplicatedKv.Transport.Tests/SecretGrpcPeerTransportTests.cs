using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Transport.Tests;

/// <summary>The whole transport contract again with every stream, snapshots included, authenticated by a shared secret.</summary>
public sealed class SecretGrpcPeerTransportTests : PeerTransportContract
{
    protected override async Task<IPeerCluster> StartClusterAsync(int size) =>
        await GrpcPeerCluster.CreateAsync(size, PeerSecret.FromText("contract secret, long enough"));
}
