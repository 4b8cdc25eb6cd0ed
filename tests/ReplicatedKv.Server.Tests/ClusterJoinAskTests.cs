using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.Server.Node;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Transport;
using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// Asking a member for the configuration while the node stops: the ask ends as cancelled, whatever the failed call
/// said (a member that is stopping too refuses the connection). It used to escape as an RpcException and crash a
/// stopping node (exit 134) from its removal watch.
/// </summary>
public sealed class ClusterJoinAskTests
{
    [Fact]
    public async Task An_ask_made_while_stopping_ends_as_cancelled_not_as_a_failed_call()
    {
        var port = TestCluster.FreePorts(1)[0];
        var member = new MemberInfo(2, "n2", new Uri($"http://127.0.0.1:{port}"), null);
        var settings = Settings();
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        var ask = () => ClusterJoin.AskAsync(member, settings, null, new SelfNamedSenderAuthenticator(), NullLogger.Instance, round: 1, stopping.Token);

        await ask.Should().ThrowAsync<OperationCanceledException>();
    }

    private static ServerSettings Settings() => new()
    {
        NodeId = "n1",
        ClusterId = "ask-test",
        Peers = "n1=http://127.0.0.1:1,n2=http://127.0.0.1:2",
        ClientUrl = new Uri("http://127.0.0.1:3"),
        PeerUrl = new Uri("http://127.0.0.1:1"),
        AdvertiseClientUrl = "http://127.0.0.1:3",
        DataDir = Path.GetTempPath(),
    };

    [Fact]
    public async Task An_unreachable_member_is_no_answer_while_running()
    {
        var port = TestCluster.FreePorts(1)[0];
        var member = new MemberInfo(2, "n2", new Uri($"http://127.0.0.1:{port}"), null);
        var settings = Settings();

        var answer = await ClusterJoin.AskAsync(member, settings, null, new SelfNamedSenderAuthenticator(), NullLogger.Instance, round: 1, CancellationToken.None);

        answer.Should().BeNull("nobody listens there: the caller asks the other members");
    }
}
