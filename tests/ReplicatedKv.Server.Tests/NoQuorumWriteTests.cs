using Google.Protobuf;
using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class NoQuorumWriteTests
{
    /// <summary>
    /// With two of three nodes stopped nothing can be decided: the write's answer is UNAVAILABLE with the reason,
    /// given early enough that the client's own deadline never turns it into a bare DEADLINE_EXCEEDED.
    /// </summary>
    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 1)]
    public async Task A_write_without_a_quorum_gets_unavailable_with_its_reason_not_deadline_exceeded(bool survivorWasLeader, double deadlineSeconds)
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("x", "1");
        var survivor = survivorWasLeader ? leader : (leader + 1) % 3;
        foreach (var n in Enumerable.Range(0, 3).Where(n => n != survivor))
        {
            await cluster.StopNodeAsync(n);
        }

        // One attempt, no retries, a request id so the answer may say how to retry.
        var write = async () => await cluster.Client(survivor).SetAsync(new SetRequest
        {
            Key = "y",
            Value = ByteString.CopyFromUtf8("lost?"),
            RequestId = new RequestId { ClientId = "no-quorum", Sequence = 1 },
        }, TestCluster.Deadline(deadlineSeconds));
        var refusal = (await write.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.Unavailable, "the server answers before the client's deadline: {0}", refusal.Status.Detail);
        refusal.Status.Detail.Should().Contain("write not confirmed within the deadline").And.Contain("retry with the same request_id");
    }
}
