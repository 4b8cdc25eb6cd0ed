using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// The ReplicatedKv client contract (replicatedkv.v1.KeyValue) on one connection: used for rkv-server and for the
/// ceiling host alike, so both are driven through exactly the same client path.
/// </summary>
internal sealed class KeyValueCalls(GrpcChannel channel, KeySet keys) : KvCalls
{
    private readonly KeyValue.KeyValueClient _client = new(channel);

    public override Task SetAsync(int key, string clientId, ulong sequence, DateTime deadline) =>
        _client.SetAsync(new SetRequest
        {
            Key = keys.Strings[key],
            Value = keys.Value,

            // As the ReplicatedKv client sends it: a retried write is applied once.
            RequestId = new RequestId { ClientId = clientId, Sequence = sequence },
        }, deadline: deadline).ResponseAsync;

    public override Task GetAsync(int key, bool linearizable, DateTime deadline) =>
        _client.GetAsync(new GetRequest
        {
            Key = keys.Strings[key],
            Consistency = linearizable ? ReadConsistency.Linearizable : ReadConsistency.Serializable,
        }, deadline: deadline).ResponseAsync;
}
