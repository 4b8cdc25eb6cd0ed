using Grpc.Core;
using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// The shared-secret proof of a peer stream's sender: what one member's outbound side sends, another member's
/// inbound side checks. Each test makes a member's headers and changes the one thing it names.
/// </summary>
public sealed class SharedSecretAuthenticatorTests
{
    private const string Peers = "n1=http://127.0.0.1:7101,n2=http://127.0.0.1:7102,n3=http://127.0.0.1:7103";
    private static readonly PeerSecret Secret = PeerSecret.FromText("correct horse battery staple");

    private readonly ManualClock _clock = new();

    [Fact]
    public void Headers_made_by_a_member_authenticate_it_as_that_member()
    {
        var result = Receiver("n2").Authenticate(Sender("n1").HeadersFor(2));

        result.IsRefused.Should().BeFalse(result.Detail);
        result.Verified.Should().BeTrue();
        result.MemberId.Should().Be(1);
    }

    [Fact]
    public void A_node_not_yet_a_member_may_ask_to_join_with_the_secret_but_opens_no_stream()
    {
        var joiner = new SharedSecretAuthenticator(ClusterMembers.Parse("test-cluster", "n4", Peers + ",n4=http://127.0.0.1:7104"), Secret, _clock);

        Receiver("n2").AuthenticateJoiner(joiner.JoinHeadersFor("n2")).IsRefused.Should().BeFalse("holding the secret is enough to learn the configuration");
        var stream = Receiver("n2").Authenticate(joiner.JoinHeadersFor("n2"));
        stream.Refusal.Should().Be(PeerRefusals.Unauthenticated);
        stream.Detail.Should().Contain("not another member");
    }

    [Fact]
    public void A_join_with_another_secret_is_refused()
    {
        var stranger = new SharedSecretAuthenticator(ClusterMembers.Parse("test-cluster", "n4", Peers + ",n4=http://127.0.0.1:7104"),
            PeerSecret.FromText("a guess at the secret, wrong"), _clock);

        Receiver("n2").AuthenticateJoiner(stranger.JoinHeadersFor("n2")).Refusal.Should().Be(PeerRefusals.Unauthenticated);
    }

    [Fact]
    public void Headers_made_with_another_secret_are_refused()
    {
        var stranger = new SharedSecretAuthenticator(Members("n1"), PeerSecret.FromText("a guess at the secret, wrong"), _clock);

        var result = Receiver("n2").Authenticate(stranger.HeadersFor(2));

        result.Refusal.Should().Be(PeerRefusals.Unauthenticated);
        result.Detail.Should().Contain("bad MAC");
    }

    [Fact]
    public void No_headers_at_all_are_refused()
    {
        Receiver("n2").Authenticate([]).Refusal.Should().Be(PeerRefusals.Unauthenticated);
    }

    [Fact]
    public void Headers_replayed_within_the_window_are_refused()
    {
        var receiver = Receiver("n2");
        var headers = Sender("n1").HeadersFor(2);
        receiver.Authenticate(headers).IsRefused.Should().BeFalse();

        var replay = receiver.Authenticate(headers);

        replay.Refusal.Should().Be(PeerRefusals.Unauthenticated);
        replay.Detail.Should().Contain("nonce");
    }

    [Fact]
    public void Headers_older_than_the_window_are_refused()
    {
        var receiver = Receiver("n2");
        var headers = Sender("n1").HeadersFor(2);
        _clock.Now += receiver.Window + TimeSpan.FromSeconds(1);

        var result = receiver.Authenticate(headers);

        result.Refusal.Should().Be(PeerRefusals.Unauthenticated);
        result.Detail.Should().Contain("clock");
    }

    [Fact]
    public void Headers_made_for_another_member_are_refused_even_with_the_right_MAC()
    {
        var forN3 = Sender("n1").HeadersFor(3);

        var result = Receiver("n2").Authenticate(forN3);

        result.Refusal.Should().Be(PeerRefusals.Unauthenticated);
        result.Detail.Should().Contain("not this node");
    }

    [Fact]
    public void Changing_the_sender_named_in_the_headers_breaks_the_MAC()
    {
        var headers = Sender("n1").HeadersFor(2);
        var forged = new Metadata();
        foreach (var header in headers)
        {
            forged.Add(header.Key, header.Key == SharedSecretAuthenticator.FromHeader ? "n3" : header.Value);
        }

        var result = Receiver("n2").Authenticate(forged);

        result.Refusal.Should().Be(PeerRefusals.Unauthenticated);
        result.Detail.Should().Contain("bad MAC");
    }

    [Fact]
    public void The_MAC_binds_the_cluster_id_though_it_is_not_sent()
    {
        var otherCluster = new SharedSecretAuthenticator(ClusterMembers.Parse("another-cluster", "n1", Peers), Secret, _clock);

        var headers = otherCluster.HeadersFor(2);

        headers.Select(h => h.Value).Should().NotContain(v => v.Contains("cluster", StringComparison.Ordinal));
        Receiver("n2").Authenticate(headers).Refusal.Should().Be(PeerRefusals.Unauthenticated);
    }

    [Fact]
    public void A_full_replay_cache_refuses_new_openings_rather_than_forgetting_live_nonces()
    {
        var receiver = new SharedSecretAuthenticator(Members("n2"), Secret, _clock, replayCapacity: 2);
        var sender = Sender("n1");
        receiver.Authenticate(sender.HeadersFor(2)).IsRefused.Should().BeFalse();
        receiver.Authenticate(sender.HeadersFor(2)).IsRefused.Should().BeFalse();

        receiver.Authenticate(sender.HeadersFor(2)).IsRefused.Should().BeTrue();

        // Once those nonces' timestamps are out of the window they make room again.
        _clock.Now += receiver.Window + TimeSpan.FromSeconds(1);
        receiver.Authenticate(sender.HeadersFor(2)).IsRefused.Should().BeFalse();
    }

    [Fact]
    public void A_secret_shorter_than_the_minimum_is_rejected_and_no_secret_is_ever_printed()
    {
        var tooShort = () => PeerSecret.FromText("short");
        tooShort.Should().Throw<FormatException>().WithMessage("*at least 16*");
        Secret.ToString().Should().NotContain("horse");
    }

    private SharedSecretAuthenticator Sender(string self) => new(Members(self), Secret, _clock);

    private SharedSecretAuthenticator Receiver(string self) => new(Members(self), Secret, _clock);

    private static ClusterMembers Members(string self) => ClusterMembers.Parse("test-cluster", self, Peers);
}
