using Google.Protobuf;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Storage;
using ReplicatedKv.Transport.Authentication;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// An accept whose entry is bigger than a log record holds would fail the write-ahead log's append and stop the
/// node loop; it is dropped at the peer port instead, counted, and the node keeps serving.
/// </summary>
public sealed class OverSizeEntryTests
{
    [Fact]
    public async Task An_accept_with_an_entry_over_a_log_record_is_refused_counted_and_the_node_keeps_serving()
    {
        // Sending a 256 MiB message takes a while: a long message age keeps it from being dropped as stale first, and
        // a brand-new cluster (initial-cluster-state new) need not wait out the long age before it votes.
        await using var cluster = await TestCluster.StartAsync(3, s => s with { MaxMessageAge = TimeSpan.FromSeconds(20), InitialClusterState = InitialClusterState.New },
            withAdminPorts: true);
        await TestCluster.RetryAsync(() => cluster.Client(0).SetAsync("keep", "me"));
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        var hashBefore = await cluster.WaitConvergedAsync();
        var next = (await cluster.StatusAsync(follower)).DecidedSlot + 1;

        // One command the size of a whole record: with its framing the entry is over by a few bytes. The ballot is
        // one the follower would take, so without the check this entry would reach its log.
        var entry = new Wire.Entry { Slot = next, Ballot = new Wire.Ballot { Round = 1000, Node = cluster.MemberId(leader) }, HasValue = true };
        entry.Commands.Add(UnsafeByteOperations.UnsafeWrap(new byte[WalFormat.MaxPayload]));
        var accept = new Wire.PeerMessage
        {
            To = cluster.MemberId(follower),
            Accept = new Wire.Accept { Ballot = entry.Ballot, DecidedIndex = next - 1, Entries = { entry } },
        };

        (await RawPeerStream.SendAsync(cluster, follower, [], RawPeerStream.Batch(cluster, leader, accept))).Should().BeNull();

        (await PrometheusScrape.FetchUntilAsync(cluster.AdminUrl(follower), s => s.Value("rkv_peer_rejected_total", $"reason=\"{PeerRefusals.OverLimit}\"") > 0))
            .Value("rkv_peer_rejected_total", $"reason=\"{PeerRefusals.OverLimit}\"").Should().Be(1);
        cluster.Host(follower).Node.Completion.IsCompleted.Should().BeFalse("the node loop is still running");
        (await cluster.WaitConvergedAsync()).Should().Be(hashBefore);
        await TestCluster.RetryAsync(() => cluster.Client(follower).SetAsync("after", "the big accept"));
        (await TestCluster.RetryAsync(() => cluster.Client(leader).GetAsync("after"))).Should().Be("the big accept");
    }
}
