using Grpc.Core;
using ReplicatedKv.Server.Node;

namespace ReplicatedKv.Server.Api;

/// <summary>The response headers that tell a client which node leads and where it listens.</summary>
public static class LeaderHeaders
{
    public const string LeaderId = "rkv-leader-id";
    public const string LeaderUrl = "rkv-leader-url";

    internal static Task WriteAsync(KvNode node, ServerCallContext context)
    {
        var view = node.View;
        var headers = new Metadata();
        if (view.LeaderName is { } leader)
        {
            headers.Add(LeaderId, leader);
        }

        if (view.LeaderClientUrl is { } url)
        {
            headers.Add(LeaderUrl, url);
        }

        return context.WriteResponseHeadersAsync(headers);
    }
}
