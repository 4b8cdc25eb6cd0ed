using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Net.Client;
using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Transport;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// An authenticated member can still be buggy: forged peer messages sent under a real member's name, over a real
/// peer port, are refused and counted, and the node keeps serving with its table unchanged.
/// </summary>
public sealed class ForgedPeerMessageTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3, withAdminPorts: true);
        await TestCluster.RetryAsync(() => _cluster.Client(0).SetAsync("keep", "me"));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_forged_over_limit_forward_is_refused_counted_and_the_leader_keeps_serving()
    {
        var leader = await _cluster.WaitForLeaderAsync();
        var sender = (leader + 1) % 3;
        var hashBefore = await _cluster.WaitConvergedAsync();
        var before = await Rejected(leader, "over_limit");

        // A key of 2 KiB, over the default max-key-bytes (1024), that the client API would have refused.
        var forward = new Wire.ForwardedProposal();
        forward.Commands.Add(ByteString.CopyFrom(Envelope(_cluster.MemberId(sender), KvCommand.Set(new string('k', 2048), new byte[] { 1 }))));
        await SendAsync(sender, leader, new Wire.PeerMessage { To = _cluster.MemberId(leader), Forward = forward });

        (await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(leader), s => s.Value("rkv_peer_rejected_total", "reason=\"over_limit\"") > before))
            .Value("rkv_peer_rejected_total", "reason=\"over_limit\"").Should().Be(before + 1);
        (await _cluster.WaitConvergedAsync()).Should().Be(hashBefore, "nothing forged reached the log");
        await StoreIsUnharmed();
    }

    [Fact]
    public async Task A_forged_catch_up_from_a_member_not_followed_is_refused_counted_and_decides_nothing()
    {
        var leader = await _cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        var forger = (leader + 2) % 3;
        var hashBefore = await _cluster.WaitConvergedAsync();
        var before = await Rejected(follower, "unsolicited");

        // Decided values for slots 1..64 setting "keep": were any taken, the follower's table would diverge.
        var forged = new SlotValue([Envelope(_cluster.MemberId(forger), KvCommand.Set("keep", "forged"u8.ToArray()))]);
        var ballot = new Ballot(1, _cluster.MemberId(leader));
        var entries = Enumerable.Range(1, 64).Select(slot => new LogEntry(slot, ballot, forged)).ToArray();
        var catchUp = new CatchUp(_cluster.MemberId(forger), _cluster.MemberId(follower), ballot, 64, entries);
        await SendAsync(forger, follower, PeerWireCodec.ToWire(catchUp));

        (await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(follower), s => s.Value("rkv_peer_rejected_total", "reason=\"unsolicited\"") > before))
            .Value("rkv_peer_rejected_total", "reason=\"unsolicited\"").Should().BeGreaterThan(before);
        (await _cluster.WaitConvergedAsync()).Should().Be(hashBefore, "the follower decided nothing forged");
        (await _cluster.Client(follower).GetAsync("keep", Protos.V1.ReadConsistency.Serializable)).Should().Be("me");
        await StoreIsUnharmed();
    }

    private async Task<double> Rejected(int node, string reason) =>
        (await PrometheusScrape.FetchAsync(_cluster.AdminUrl(node))).Value("rkv_peer_rejected_total", $"reason=\"{reason}\"");

    /// <summary>One batch to <paramref name="to"/>'s peer port under <paramref name="from"/>'s name and this cluster's id.</summary>
    private async Task SendAsync(int from, int to, Wire.PeerMessage message)
    {
        using var channel = GrpcChannel.ForAddress(_cluster.Settings[to].PeerUrl);
        using var stream = new Wire.PeerLink.PeerLinkClient(channel).Stream(TestCluster.Deadline());
        var batch = new Wire.PeerBatch
        {
            ClusterId = _cluster.Settings[to].ClusterId,
            From = _cluster.Settings[from].NodeId,
            SentUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        batch.Messages.Add(message);
        await stream.RequestStream.WriteAsync(batch);
        await stream.RequestStream.CompleteAsync();
        await stream.ResponseAsync;
    }

    /// <summary>The node core's command envelope: magic, origin, incarnation, caller, then the command.</summary>
    private static byte[] Envelope(int origin, KvCommand command)
    {
        var body = CommandCodec.Encode(command);
        var envelope = new byte[17 + body.Length];
        envelope[0] = 0xE1;
        BinaryPrimitives.WriteInt32LittleEndian(envelope.AsSpan(1), origin);
        BinaryPrimitives.WriteUInt32LittleEndian(envelope.AsSpan(5), 42);
        BinaryPrimitives.WriteInt64LittleEndian(envelope.AsSpan(9), 1);
        body.CopyTo(envelope.AsSpan(17));
        return envelope;
    }

    private async Task StoreIsUnharmed()
    {
        // The node loops are alive: a write through every node is applied everywhere.
        for (var node = 0; node < 3; node++)
        {
            await TestCluster.RetryAsync(() => _cluster.Client(node).SetAsync("after", $"through {node}"));
        }

        (await TestCluster.RetryAsync(() => _cluster.Client(0).GetAsync("after"))).Should().Be("through 2");
        (await TestCluster.RetryAsync(() => _cluster.Client(1).GetAsync("keep"))).Should().Be("me");
    }
}
