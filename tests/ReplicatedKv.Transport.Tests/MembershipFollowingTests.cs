using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// The gRPC transport and the peer service follow the member view (<see cref="ClusterMembers.Update"/>): a member
/// that leaves the view has its link closed and its streams refused (counted), and a member that enters it gets a link.
/// </summary>
public sealed class MembershipFollowingTests : IAsyncLifetime
{
    private GrpcPeerCluster? _cluster;

    private GrpcPeerCluster Cluster => _cluster!;

    public async Task InitializeAsync() => _cluster = await GrpcPeerCluster.CreateAsync(3, PeerSecret.FromText("membership secret, long enough"));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    [Fact]
    public async Task A_member_removed_from_the_view_loses_its_link_and_its_streams_are_refused()
    {
        await Eventually.HoldsAsync(() => Cluster.Transport(1).IsReachable(3) && Cluster.Transport(3).IsReachable(1), "1 and 3 reach each other");
        Cluster.Transport(3).Send(1, RecordingInbox.Probe(6001));
        await Eventually.HoldsAsync(() => Cluster.Inbox(1).HasId(6001), "3's stream to 1 is open and carries messages");
        var view = Cluster.MembersOf(1);

        view.Update(view.Members.Where(m => m.Id != 3)).Should().BeTrue();

        ((GrpcPeerTransport)Cluster.Transport(1)).Peers.Should().Equal(2);
        Cluster.Transport(1).IsReachable(3).Should().BeFalse("the link to a removed member is closed");

        // 3 still counts 1 a member and keeps sending: its open stream is ended at its next batch, and no new one is let in.
        await Eventually.HoldsAsync(() =>
        {
            Cluster.Transport(3).Send(1, RecordingInbox.Probe(7001));
            return !Cluster.Transport(3).IsReachable(1);
        }, "1 ends the removed member's stream and refuses new ones");
        Cluster.Inbox(1).Refusals.Should().Contain(PeerRefusals.Unauthenticated);
        var before = Cluster.Inbox(1).Messages.Count(m => m.From == 3);
        Cluster.Transport(3).Send(1, RecordingInbox.Probe(7003));
        Cluster.Transport(2).Send(1, RecordingInbox.Probe(7002));
        await Eventually.HoldsAsync(() => Cluster.Inbox(1).HasId(7002), "2's message reaches 1");
        Cluster.Inbox(1).HasId(7003).Should().BeFalse("a removed member's messages are refused");
        Cluster.Inbox(1).Messages.Count(m => m.From == 3).Should().Be(before);
    }

    [Fact]
    public async Task A_member_added_to_the_view_gets_a_link_that_carries_messages()
    {
        var view = Cluster.MembersOf(1);
        var third = view.Members.Single(m => m.Id == 3);
        view.Update(view.Members.Where(m => m.Id != 3));
        ((GrpcPeerTransport)Cluster.Transport(1)).Peers.Should().Equal(2);

        view.Update([.. view.Members, third]).Should().BeTrue();

        ((GrpcPeerTransport)Cluster.Transport(1)).Peers.Should().Equal(2, 3);
        await Eventually.HoldsAsync(() => Cluster.Transport(1).IsReachable(3), "1 reaches the added member");
        Cluster.Transport(1).Send(3, RecordingInbox.Probe(8001));
        await Eventually.HoldsAsync(() => Cluster.Inbox(3).HasId(8001), "a message reaches the added member");
    }

    [Fact]
    public void An_unchanged_view_changes_nothing()
    {
        var view = Cluster.MembersOf(1);
        var changes = 0;
        view.Changed += _ => changes++;

        view.Update([.. view.Members]).Should().BeFalse();

        changes.Should().Be(0);
    }
}
