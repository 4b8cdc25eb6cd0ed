namespace ReplicatedKv.Transport.Tests;

/// <summary>The transport contract against <see cref="GrpcPeerTransport"/> over real loopback gRPC endpoints.</summary>
public sealed class GrpcPeerTransportTests : PeerTransportContract
{
    protected override async Task<IPeerCluster> StartClusterAsync(int size) => await GrpcPeerCluster.CreateAsync(size);
}
