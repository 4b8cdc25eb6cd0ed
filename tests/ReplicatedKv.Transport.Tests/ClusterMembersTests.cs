namespace ReplicatedKv.Transport.Tests;

/// <summary>The member view: ids from --peers for a new cluster, updates from configurations, payloads that carry names and URLs.</summary>
public sealed class ClusterMembersTests
{
    private const string Peers = "n2=http://h2:7101,n1=http://h1:7101,n3=http://h3:7101";

    [Fact]
    public void A_new_clusters_ids_are_the_sorted_peer_names()
    {
        var members = ClusterMembers.Parse("c", "n2", Peers, "n1=http://h1:7001");

        members.SelfId.Should().Be(2);
        members.Ids.Should().Equal(1, 2, 3);
        members.ClientUrlOf(1).Should().Be("http://h1:7001");
        members.ClientUrlOf(3).Should().BeNull();
    }

    [Fact]
    public void An_update_adds_and_removes_members_and_still_names_the_departed()
    {
        var members = ClusterMembers.Parse("c", "n1", Peers);
        var n5 = new MemberInfo(5, "n5", new Uri("http://h5:7101"), "http://h5:7001", IsVoter: false);

        members.Update([.. members.Members.Where(m => m.Id != 3), n5]).Should().BeTrue();

        members.Ids.Should().Equal(1, 2, 5);
        members.TryGetId("n5", out var id).Should().BeTrue();
        id.Should().Be(5);
        members.TryGetId("n3", out _).Should().BeFalse("a removed member is no member");
        members.Contains(3).Should().BeFalse();
        members.NameOf(3).Should().Be("n3", "logs still name a departed member");
        members.NameOf(42).Should().Be("#42");
    }

    [Fact]
    public void A_payload_round_trips_and_anything_else_decodes_to_null()
    {
        var payload = MemberPayload.Encode("n4", new Uri("http://10.0.0.4:7101/"), "http://10.0.0.4:7001", autoPromote: true);

        MemberPayload.Decode(payload).Should().Be(new MemberPayload.Decoded("n4", new Uri("http://10.0.0.4:7101"), "http://10.0.0.4:7001", true));
        MemberPayload.Decode(MemberPayload.Encode("n4", new Uri("http://h:1"), null))!.ClientUrl.Should().BeNull();
        MemberPayload.Decode("").Should().BeNull("the bootstrap configuration's members carry no payload");
        MemberPayload.Decode("rkv-member/9\nn4\nhttp://h:1\n\n").Should().BeNull("an unknown version is not guessed at");
        MemberPayload.Decode("rkv-member/1\nbad name\nhttp://h:1\n\n").Should().BeNull();
    }
}
