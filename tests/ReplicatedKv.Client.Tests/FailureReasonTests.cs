using System.Net.Sockets;
using Grpc.Core;

namespace ReplicatedKv.Client.Tests;

/// <summary>The reason a failed call carries into the client's exceptions is never empty.</summary>
public sealed class FailureReasonTests
{
    [Fact]
    public void The_server_detail_is_the_reason()
    {
        KvClient.Reason(new RpcException(new Status(StatusCode.Unavailable, "no leader"))).Should().Be("no leader");
    }

    [Fact]
    public void A_generic_local_detail_gets_the_socket_error()
    {
        var refused = new HttpRequestException("connect failed", new SocketException((int)SocketError.ConnectionRefused));
        var reason = KvClient.Reason(new RpcException(new Status(StatusCode.Unavailable, "Error connecting to subchannel.", refused)));
        reason.Should().StartWith("Error connecting to subchannel. (").And.Contain(new SocketException((int)SocketError.ConnectionRefused).Message);
    }

    [Fact]
    public void Without_a_detail_the_status_code_and_local_error_stand_in()
    {
        var refused = new SocketException((int)SocketError.ConnectionRefused);
        KvClient.Reason(new RpcException(new Status(StatusCode.Unavailable, "", refused))).Should().Be($"Unavailable: {refused.Message}");
        KvClient.Reason(new RpcException(new Status(StatusCode.Aborted, ""))).Should().Be("Aborted");
    }
}
