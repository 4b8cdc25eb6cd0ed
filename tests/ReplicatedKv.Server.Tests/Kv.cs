using Google.Protobuf;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>Short forms of the client calls the tests make over and over.</summary>
internal static class Kv
{
    /// <summary>
    /// A set as a careful client makes it: with a request id (a fresh one unless given), retried through
    /// UNAVAILABLE, so a leader change in the middle neither fails the test nor applies the write twice.
    /// </summary>
    public static Task<SetResponse> SetAsync(this KeyValue.KeyValueClient client, string key, string value, ulong? ifVersion = null, RequestId? id = null)
    {
        var request = new SetRequest
        {
            Key = key,
            Value = ByteString.CopyFromUtf8(value),
            RequestId = id ?? new RequestId { ClientId = "test-" + Guid.NewGuid().ToString("N"), Sequence = 1 },
        };
        if (ifVersion is { } v)
        {
            request.IfRevision = v;
        }

        return TestCluster.RetryAsync(() => client.SetAsync(request, TestCluster.Deadline()).ResponseAsync);
    }

    /// <summary>A read, retried through UNAVAILABLE (reads change nothing, so retrying is always safe).</summary>
    public static async Task<string?> GetAsync(this KeyValue.KeyValueClient client, string key, ReadConsistency consistency = ReadConsistency.Linearizable)
    {
        var response = await TestCluster.RetryAsync(() => client.GetAsync(new GetRequest { Key = key, Consistency = consistency }, TestCluster.Deadline()).ResponseAsync);
        return response.Found ? response.Value.ToStringUtf8() : null;
    }

    /// <summary>A remove with a fresh request id, retried through UNAVAILABLE.</summary>
    public static Task<RemoveResponse> RemoveAsync(this KeyValue.KeyValueClient client, string key, ulong? ifVersion = null)
    {
        var request = new RemoveRequest { Key = key, RequestId = new RequestId { ClientId = "test-" + Guid.NewGuid().ToString("N"), Sequence = 1 } };
        if (ifVersion is { } v)
        {
            request.IfRevision = v;
        }

        return TestCluster.RetryAsync(() => client.RemoveAsync(request, TestCluster.Deadline()).ResponseAsync);
    }

    public static async Task<string> StateHashAsync(this TestCluster cluster, int node) =>
        (await cluster.Ops(node).StatusAsync(new StatusRequest { IncludeStateHash = true }, TestCluster.Deadline())).StateHash;

    public static async Task<StatusResponse> StatusAsync(this TestCluster cluster, int node) =>
        await cluster.Ops(node).StatusAsync(new StatusRequest(), TestCluster.Deadline());

    /// <summary>Waits until every running node has applied the same slots and holds the same table.</summary>
    public static async Task<string> WaitConvergedAsync(this TestCluster cluster, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var views = new List<(long Applied, string Hash)>();
            for (var i = 0; i < cluster.Size; i++)
            {
                if (cluster.IsRunning(i))
                {
                    var status = await cluster.Ops(i).StatusAsync(new StatusRequest { IncludeStateHash = true }, TestCluster.Deadline());
                    views.Add((status.AppliedSlot, status.StateHash));
                }
            }

            if (views.Distinct().Count() == 1)
            {
                return views[0].Hash;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("replicas did not converge: " + string.Join(", ", views));
            }

            await Task.Delay(100);
        }
    }
}
