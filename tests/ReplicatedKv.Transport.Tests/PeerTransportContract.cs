using Grpc.Core;

namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// The <see cref="IPeerTransport"/> contract, written once and run against every implementation: each subclass
/// supplies <see cref="StartClusterAsync"/>, which builds N connected endpoints of its transport.
/// </summary>
public abstract class PeerTransportContract : IAsyncLifetime
{
    private IPeerCluster? _cluster;

    protected IPeerCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    /// <summary>Builds <paramref name="size"/> endpoints, members 1..size, each with a fresh <see cref="RecordingInbox"/>.</summary>
    protected abstract Task<IPeerCluster> StartClusterAsync(int size);

    public async Task InitializeAsync() => _cluster = await StartClusterAsync(3);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    protected IPeerTransport T(int id) => Cluster.Transport(id);

    protected RecordingInbox Inbox(int id) => Cluster.Inbox(id);

    /// <summary>Waits until every member's links to every other member are up.</summary>
    protected async Task AllReachableAsync()
    {
        for (var from = 1; from <= Cluster.Size; from++)
        {
            for (var to = 1; to <= Cluster.Size; to++)
            {
                if (from != to)
                {
                    var (f, t) = (from, to);
                    await Eventually.HoldsAsync(() => T(f).IsReachable(t), $"{f} reaches {t}");
                }
            }
        }
    }

    /// <summary>Sends <paramref name="id"/> from <paramref name="from"/> to <paramref name="to"/> and waits until it is there.</summary>
    protected async Task SendAndAwaitAsync(int from, int to, long id)
    {
        T(from).Send(to, RecordingInbox.Probe(id));
        await Eventually.HoldsAsync(() => Inbox(to).HasId(id), $"message {id} from {from} reaches {to}");
    }

    [Fact]
    public async Task A_message_reaches_the_addressed_inbox_stamped_with_its_sender()
    {
        await AllReachableAsync();

        T(1).Send(2, RecordingInbox.Probe(42));

        await Eventually.HoldsAsync(() => Inbox(2).Messages.Count > 0, "a message reaches 2");
        var received = Inbox(2).Messages.Should().ContainSingle().Subject;
        received.From.Should().Be(1);
        received.BatchFrom.Should().Be(Cluster.NameOf(1));
        received.ClusterId.Should().Be(Cluster.ClusterId);
        received.Message.To.Should().Be(2);
        received.Message.ReadIndexRequest.ReadId.Should().Be(42);

        // Nothing went anywhere else: a later message to 3 arrives alone.
        await SendAndAwaitAsync(1, 3, 43);
        Inbox(3).IdsFrom(1).Should().Equal(43);
        Inbox(1).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task Messages_to_one_peer_arrive_in_the_order_they_were_sent()
    {
        await AllReachableAsync();
        const int count = 2000;

        for (var i = 0; i < count; i++)
        {
            T(1).Send(2, RecordingInbox.Probe(i));
        }

        await Eventually.HoldsAsync(() => Inbox(2).Messages.Count >= count, $"{count} messages reach 2");
        Inbox(2).IdsFrom(1).Should().Equal(Enumerable.Range(0, count).Select(i => (long)i));
    }

    [Fact]
    public async Task Messages_from_several_senders_all_arrive_each_in_its_senders_order()
    {
        await AllReachableAsync();
        const int count = 500;

        await Task.WhenAll(Enumerable.Range(2, 2).Select(sender => Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                T(sender).Send(1, RecordingInbox.Probe((sender * 10_000) + i));
            }
        })));

        await Eventually.HoldsAsync(() => Inbox(1).Messages.Count >= 2 * count, $"{2 * count} messages reach 1");
        Inbox(1).IdsFrom(2).Should().Equal(Enumerable.Range(0, count).Select(i => 20_000L + i));
        Inbox(1).IdsFrom(3).Should().Equal(Enumerable.Range(0, count).Select(i => 30_000L + i));
    }

    [Fact]
    public async Task Sends_from_many_threads_all_arrive_each_in_its_threads_order()
    {
        await AllReachableAsync();
        const int threads = 4;
        const int count = 500;

        await Task.WhenAll(Enumerable.Range(0, threads).Select(thread => Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                T(1).Send(2, RecordingInbox.Probe((thread * 10_000) + i));
            }
        })));

        await Eventually.HoldsAsync(() => Inbox(2).Messages.Count >= threads * count, $"{threads * count} messages reach 2");
        var ids = Inbox(2).IdsFrom(1);
        ids.Should().HaveCount(threads * count);
        for (var thread = 0; thread < threads; thread++)
        {
            var t = thread;
            ids.Where(id => id / 10_000 == t).Should().Equal(Enumerable.Range(0, count).Select(i => (t * 10_000L) + i), $"thread {t}'s messages keep their order");
        }
    }

    [Fact]
    public async Task One_message_instance_sent_to_two_peers_arrives_addressed_to_each()
    {
        await AllReachableAsync();
        var message = RecordingInbox.Probe(7);

        T(1).Send(2, message);
        T(1).Send(3, message);

        await Eventually.HoldsAsync(() => Inbox(2).HasId(7) && Inbox(3).HasId(7), "both copies arrive");
        Inbox(2).Messages.Single().Message.To.Should().Be(2);
        Inbox(3).Messages.Single().Message.To.Should().Be(3);
    }

    [Fact]
    public async Task A_message_to_a_member_that_is_down_is_dropped_and_delivery_resumes_once_it_is_back()
    {
        await AllReachableAsync();
        await SendAndAwaitAsync(1, 2, 1);

        await Cluster.StopAsync(2);
        await Eventually.HoldsAsync(() => !T(1).IsReachable(2), "1 sees 2 down");
        var sendWhileDown = () =>
        {
            for (var i = 0; i < 10; i++)
            {
                T(1).Send(2, RecordingInbox.Probe(100 + i));
            }
        };
        sendWhileDown.Should().NotThrow();

        await Cluster.StartAsync(2);
        await Eventually.HoldsAsync(() => T(1).IsReachable(2), "1 reaches 2 again");
        await SendAndAwaitAsync(1, 2, 200);

        Inbox(2).IdsFrom(1).Should().Equal([200], "what was sent while 2 was down is lost, not delivered late");
    }

    [Fact]
    public async Task A_snapshot_to_a_member_that_is_down_fails_as_unavailable()
    {
        await AllReachableAsync();
        await Cluster.StopAsync(3);

        var send = () => T(1).SendSnapshotAsync(3, 5, Chunks([1, 2, 3]), CancellationToken.None);

        (await send.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unavailable);
    }

    [Fact]
    public async Task IsReachable_is_false_while_a_member_is_down_and_turns_true_once_it_answers()
    {
        await AllReachableAsync();
        await Cluster.StopAsync(3);
        await Eventually.HoldsAsync(() => !T(1).IsReachable(3) && !T(2).IsReachable(3), "1 and 2 see 3 down");
        T(1).IsReachable(2).Should().BeTrue("only 3 went down");

        await Cluster.StartAsync(3);

        await Eventually.HoldsAsync(() => T(1).IsReachable(3) && T(2).IsReachable(3) && T(3).IsReachable(1), "3 is reachable again");
    }

    [Fact]
    public async Task Self_and_unknown_ids_are_unreachable_and_what_is_sent_to_them_goes_nowhere()
    {
        await AllReachableAsync();

        T(1).IsReachable(1).Should().BeFalse();
        T(1).IsReachable(99).Should().BeFalse();
        T(1).IsReachable(0).Should().BeFalse();
        var send = () =>
        {
            T(1).Send(1, RecordingInbox.Probe(1));
            T(1).Send(99, RecordingInbox.Probe(2));
            T(1).Send(0, RecordingInbox.Probe(3));
        };
        send.Should().NotThrow();
        await T(1).Invoking(t => t.SendSnapshotAsync(99, 1, Chunks([1]), CancellationToken.None)).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await T(1).Invoking(t => t.SendSnapshotAsync(1, 1, Chunks([1]), CancellationToken.None)).Should().ThrowAsync<ArgumentOutOfRangeException>();

        // Later messages on the real links arrive, and the misaddressed ones never did.
        await SendAndAwaitAsync(1, 2, 10);
        await SendAndAwaitAsync(1, 3, 11);
        await SendAndAwaitAsync(2, 1, 12);
        Inbox(1).IdsFrom(1).Should().BeEmpty();
        Inbox(2).IdsFrom(1).Should().Equal(10);
        Inbox(3).IdsFrom(1).Should().Equal(11);
    }

    [Fact]
    public async Task A_snapshots_chunks_arrive_intact_and_in_order_before_the_send_completes()
    {
        await AllReachableAsync();
        var random = new Random(1234);
        var chunks = new[] { 1, 1000, 70_000, 3, 256 * 1024 }.Select(size =>
        {
            var chunk = new byte[size];
            random.NextBytes(chunk);
            return chunk;
        }).ToArray();

        await T(1).SendSnapshotAsync(2, 77, Chunks(chunks), CancellationToken.None);

        var snapshot = Inbox(2).Snapshots.Should().ContainSingle().Subject;
        snapshot.From.Should().Be(1);
        snapshot.Slot.Should().Be(77);
        snapshot.Chunks.Should().HaveCount(chunks.Length);
        for (var i = 0; i < chunks.Length; i++)
        {
            snapshot.Chunks[i].Should().Equal(chunks[i], $"chunk {i} arrives as sent");
        }
    }

    [Fact]
    public async Task A_receivers_refusal_fails_the_senders_task_with_its_status()
    {
        await AllReachableAsync();
        Inbox(2).SnapshotRefusal = new RpcException(new Status(StatusCode.FailedPrecondition, "not needed here"));

        var send = () => T(1).SendSnapshotAsync(2, 9, Chunks([1, 2, 3], [4]), CancellationToken.None);

        var refused = (await send.Should().ThrowAsync<RpcException>()).Which;
        refused.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        refused.Status.Detail.Should().Be("not needed here");
        Inbox(2).Snapshots.Should().BeEmpty();
    }

    [Fact]
    public async Task A_receiver_failing_with_any_other_exception_fails_the_senders_task_as_unknown()
    {
        await AllReachableAsync();
        Inbox(2).SnapshotRefusal = new InvalidOperationException("disk on fire");

        var send = () => T(1).SendSnapshotAsync(2, 9, Chunks([1, 2, 3]), CancellationToken.None);

        (await send.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unknown);
    }

    [Fact]
    public async Task After_DisposeAsync_Send_does_not_throw_and_delivers_nothing()
    {
        await AllReachableAsync();
        await SendAndAwaitAsync(1, 2, 1);

        await T(1).DisposeAsync();
        var send = () =>
        {
            T(1).Send(2, RecordingInbox.Probe(2));
            T(1).Send(3, RecordingInbox.Probe(3));
        };

        send.Should().NotThrow();
        T(1).IsReachable(2).Should().BeFalse();
        await T(1).Invoking(t => t.SendSnapshotAsync(2, 1, Chunks([1]), CancellationToken.None)).Should().ThrowAsync<ObjectDisposedException>();
        await T(1).Invoking(t => t.DisposeAsync().AsTask()).Should().NotThrowAsync("disposing twice is harmless");

        // Others still talk; nothing from 1 shows up after its disposal.
        await SendAndAwaitAsync(3, 2, 4);
        await SendAndAwaitAsync(2, 3, 5);
        Inbox(2).IdsFrom(1).Should().Equal(1);
        Inbox(3).IdsFrom(1).Should().BeEmpty();
    }

    protected static async IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(params byte[][] chunks)
    {
        foreach (var chunk in chunks)
        {
            await Task.Yield();
            yield return chunk;
        }
    }
}
