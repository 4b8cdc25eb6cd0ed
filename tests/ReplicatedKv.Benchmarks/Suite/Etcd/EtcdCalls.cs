using Grpc.Net.Client;

namespace ReplicatedKv.Benchmarks.Suite.Etcd;

/// <summary>etcd's KV service on one connection: Put for sets, Range of one key for gets.</summary>
internal sealed class EtcdCalls(GrpcChannel channel, KeySet keys) : KvCalls
{
    private readonly KV.KVClient _client = new(channel);

    // etcd has no request ids: a Put is not deduplicated, so the client id and sequence are not sent.
    public override Task SetAsync(int key, string clientId, ulong sequence, DateTime deadline) =>
        _client.PutAsync(new PutRequest { Key = keys.Bytes[key], Value = keys.Value }, deadline: deadline).ResponseAsync;

    public override Task GetAsync(int key, bool linearizable, DateTime deadline) =>
        _client.RangeAsync(new RangeRequest { Key = keys.Bytes[key], Serializable = !linearizable }, deadline: deadline).ResponseAsync;
}
