using Grpc.Core;
using ReplicatedKv.Server.Node;

namespace ReplicatedKv.Server.Api;

/// <summary>The response headers that tell a client which node leads and where it listens.</summary>
public static class LeaderHeaders
{
    public const string LeaderId = "rkv-leader-id";
    public const string LeaderUrl = "rkv-leader-url";

    /// <summary>
    /// Puts the leader hint in the response headers without sending them: they leave with the answer, in the same
    /// frame as a refusal's status (a "trailers-only" response) or ahead of the response message. Nothing is flushed
    /// early, so a refusal is one write and reaches the client sooner, and setting them twice is harmless.
    /// </summary>
    /// <remarks>
    /// A call may end under the handler: its deadline (or the client) makes gRPC complete the response with
    /// DEADLINE_EXCEEDED (or reset it) from another thread. Headers are then read-only; the hint is advice nobody
    /// will read, so it is dropped instead of failing the handler (which gRPC would log as an error).
    /// </remarks>
    /// <returns>True if the hint was staged; false if the call had already ended.</returns>
    internal static bool Stage(NodeView view, ServerCallContext context)
    {
        var response = context.GetHttpContext().Response;
        if (response.HasStarted || context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            if (view.LeaderName is { } leader)
            {
                response.Headers[LeaderId] = leader;
            }

            if (view.LeaderClientUrl is { } url)
            {
                response.Headers[LeaderUrl] = url;
            }

            return true;
        }
        catch (InvalidOperationException)
        {
            // The deadline completed the response between the check and the write ("Headers are read-only").
            return false;
        }
    }
}
