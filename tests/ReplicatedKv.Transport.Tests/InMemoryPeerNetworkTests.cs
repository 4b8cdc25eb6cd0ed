using Grpc.Core;
using ReplicatedKv.Testing.Transport;

namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// The transport contract against the in-memory twin, and what only the twin has: partitions. A partition test
/// sends on every directed link while the partition holds, then heals it and sends again: per-link order means a
/// message that was not dropped would have arrived before the one sent after the heal.
/// </summary>
public sealed class InMemoryPeerNetworkTests : PeerTransportContract
{
    private long _nextId = 1_000_000;

    private InMemoryPeerCluster Twin => (InMemoryPeerCluster)Cluster;

    private InMemoryPeerNetwork Network => Twin.Network;

    protected override Task<IPeerCluster> StartClusterAsync(int size) => Task.FromResult<IPeerCluster>(new InMemoryPeerCluster(size));

    private static IEnumerable<(int From, int To)> AllLinks(int size) =>
        from f in Enumerable.Range(1, size) from t in Enumerable.Range(1, size) where f != t select (f, t);

    /// <summary>Checks that exactly <paramref name="cut"/> drop (and show unreachable) while the others deliver.</summary>
    private async Task ExpectPartitionAsync(params (int From, int To)[] cut)
    {
        var dropped = new List<(int From, int To, long Id)>();
        foreach (var (from, to) in AllLinks(Cluster.Size))
        {
            var id = _nextId++;
            if (cut.Contains((from, to)))
            {
                T(from).IsReachable(to).Should().BeFalse($"{from} -> {to} is cut");
                T(from).Send(to, RecordingInbox.Probe(id));
                dropped.Add((from, to, id));
            }
            else
            {
                T(from).IsReachable(to).Should().BeTrue($"{from} -> {to} is not cut");
                await SendAndAwaitAsync(from, to, id);
            }
        }

        Network.Heal();
        foreach (var (from, to, id) in dropped)
        {
            await SendAndAwaitAsync(from, to, _nextId++);
            Inbox(to).HasId(id).Should().BeFalse($"what {from} sent {to} across the cut is dropped, not delayed");
        }
    }

    [Fact]
    public Task Cut_drops_both_directions_between_the_two_and_nothing_else()
    {
        Network.Cut(1, 2);
        return ExpectPartitionAsync((1, 2), (2, 1));
    }

    [Fact]
    public Task CutOneWay_drops_only_that_direction()
    {
        Network.CutOneWay(1, 2);
        return ExpectPartitionAsync((1, 2));
    }

    [Fact]
    public Task Isolate_drops_everything_to_and_from_the_node()
    {
        Network.Isolate(3);
        return ExpectPartitionAsync((1, 3), (3, 1), (2, 3), (3, 2));
    }

    [Fact]
    public async Task Heal_of_one_pair_and_Rejoin_undo_only_what_they_name()
    {
        Network.Cut(1, 2);
        Network.CutOneWay(3, 1);
        Network.Isolate(2);

        Network.Heal(1, 2);
        Network.IsCut(1, 2).Should().BeTrue("2 is still isolated");
        Network.Rejoin(2);
        Network.IsCut(3, 1).Should().BeTrue("healing 1-2 leaves 3 -> 1 cut");
        Network.CutOneWay(3, 1);

        await ExpectPartitionAsync((3, 1));
    }

    [Fact]
    public async Task A_cut_drops_messages_already_in_flight()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        // Holds the link's pump inside the first delivery while a second message queues up behind it.
        Inbox(2).OnDeliver = (_, _) =>
        {
            entered.Set();
            release.Wait(Eventually.Timeout);
        };
        T(1).Send(2, RecordingInbox.Probe(1));
        await Eventually.HoldsAsync(() => entered.IsSet, "the first delivery starts");
        T(1).Send(2, RecordingInbox.Probe(2));
        Network.Cut(1, 2);
        Inbox(2).OnDeliver = null;
        release.Set();

        await Eventually.HoldsAsync(() => Network.Dropped >= 1, "the queued message is dropped at delivery");
        Network.Heal();
        await SendAndAwaitAsync(1, 2, 3);
        Inbox(2).HasId(2).Should().BeFalse();
    }

    [Fact]
    public async Task Delivery_never_runs_inside_the_senders_call()
    {
        var sending = new ThreadLocal<bool>();
        using (sending)
        {
            var reentered = 0;
            Inbox(2).OnDeliver = (_, _) =>
            {
                if (sending.Value)
                {
                    Interlocked.Increment(ref reentered);
                }
            };

            for (var i = 0; i < 100; i++)
            {
                sending.Value = true;
                T(1).Send(2, RecordingInbox.Probe(i));
                sending.Value = false;
            }

            await Eventually.HoldsAsync(() => Inbox(2).Messages.Count >= 100, "all arrive");
            reentered.Should().Be(0);
        }
    }

    [Fact]
    public async Task The_receiver_gets_its_own_copy_of_a_message()
    {
        var message = RecordingInbox.Probe(5);
        T(1).Send(2, message);
        message.ReadIndexRequest.ReadId = 6;

        await Eventually.HoldsAsync(() => Inbox(2).Messages.Count > 0, "it arrives");
        Inbox(2).Messages.Single().Message.ReadIndexRequest.ReadId.Should().Be(5);
    }

    [Fact]
    public async Task A_snapshot_across_a_cut_fails_in_either_direction()
    {
        Network.CutOneWay(2, 1);

        var send = () => T(1).SendSnapshotAsync(2, 3, Chunks([1]), CancellationToken.None);

        (await send.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unavailable);
        Inbox(2).Snapshots.Should().BeEmpty();
    }

    [Fact]
    public async Task A_snapshot_fails_when_its_link_is_cut_midway()
    {
        async IAsyncEnumerable<ReadOnlyMemory<byte>> CutAfterFirst()
        {
            yield return new byte[] { 1 };
            Network.Cut(1, 2);
            await Task.Yield();
            yield return new byte[] { 2 };
        }

        var send = () => T(1).SendSnapshotAsync(2, 3, CutAfterFirst(), CancellationToken.None);

        (await send.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unavailable);
        Inbox(2).Snapshots.Should().BeEmpty();
    }

    [Fact]
    public async Task A_node_connects_again_after_its_transport_is_disposed_but_not_twice_at_once()
    {
        Network.Invoking(n => n.Connect(1, new RecordingInbox())).Should().Throw<InvalidOperationException>();
        Network.Invoking(n => n.Connect(4, new RecordingInbox())).Should().Throw<ArgumentOutOfRangeException>();

        await Cluster.StopAsync(1);
        Network.IsConnected(1).Should().BeFalse();
        T(2).IsReachable(1).Should().BeFalse();
        await Cluster.StartAsync(1);

        T(2).IsReachable(1).Should().BeTrue();
        await SendAndAwaitAsync(2, 1, 9);
    }
}
