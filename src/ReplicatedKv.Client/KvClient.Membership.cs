using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Client;

/// <summary>Membership changes (Cluster.AddMember, PromoteMember, RemoveMember), sent to the leader one at a time.</summary>
public sealed partial class KvClient
{
    /// <summary>
    /// Adds <paramref name="nodeId"/> to the configuration as a learner (start its server afterwards, with
    /// <c>--initial-cluster-state existing</c> and an empty data directory). Unless <paramref name="learner"/>, the
    /// leader promotes it to voter once it has caught up. Returns the new configuration.
    /// </summary>
    /// <exception cref="MemberExistsException">The id is a member already.</exception>
    /// <exception cref="MemberChangeRefusedException">The leader refused the change (e.g. another change is pending).</exception>
    /// <exception cref="WriteOutcomeUnknownException">No answer after the request may have reached the leader: see the member list.</exception>
    /// <exception cref="ClusterUnavailableException">No leader was reachable; nothing was changed.</exception>
    public Task<MemberChangeResponse> AddMemberAsync(string nodeId, Uri peerUrl, Uri clientUrl, bool learner = false, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        ArgumentNullException.ThrowIfNull(peerUrl);
        ArgumentNullException.ThrowIfNull(clientUrl);
        var request = new AddMemberRequest { NodeId = nodeId, PeerUrl = WireUrl(peerUrl), ClientUrl = WireUrl(clientUrl), Learner = learner };
        return ChangeMembersAsync(nodeId, (cluster, options) => cluster.AddMemberAsync(request, options), timeout, cancellationToken);
    }

    /// <summary>
    /// Makes the learner <paramref name="nodeId"/> a voter. Refused (<see cref="MemberChangeRefusedException"/>) while
    /// its lag is above the promotion bound; <see cref="MemberNotFoundException"/> if it is not a member.
    /// </summary>
    public Task<MemberChangeResponse> PromoteMemberAsync(string nodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        var request = new PromoteMemberRequest { NodeId = nodeId };
        return ChangeMembersAsync(nodeId, (cluster, options) => cluster.PromoteMemberAsync(request, options), timeout, cancellationToken);
    }

    /// <summary>
    /// Removes <paramref name="nodeId"/> (a voter or a learner; the leader too: it finishes the change and steps down, and the remaining voters elect).
    /// Refused (<see cref="MemberChangeRefusedException"/>) when it would leave too few voters to run;
    /// <see cref="MemberNotFoundException"/> if it is not a member.
    /// </summary>
    public Task<MemberChangeResponse> RemoveMemberAsync(string nodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        var request = new RemoveMemberRequest { NodeId = nodeId };
        return ChangeMembersAsync(nodeId, (cluster, options) => cluster.RemoveMemberAsync(request, options), timeout, cancellationToken);
    }

    private async Task<MemberChangeResponse> ChangeMembersAsync(string nodeId, Func<Cluster.ClusterClient, CallOptions, AsyncUnaryCall<MemberChangeResponse>> call,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await AtLeaderAsync(call, changesState: true, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (KvException ex) when (ex.GetType() == typeof(KvException))
        {
            throw ex.StatusCode switch
            {
                StatusCode.FailedPrecondition => new MemberChangeRefusedException(ex.Message, ex.InnerException ?? ex),
                StatusCode.NotFound => new MemberNotFoundException(ex.Message, nodeId, ex.InnerException ?? ex),
                StatusCode.AlreadyExists => new MemberExistsException(ex.Message, nodeId, ex.InnerException ?? ex),
                _ => ex,
            };
        }
    }

    // The form members list URLs in: no trailing slash on a bare host and port.
    private static string WireUrl(Uri url) => url.AbsolutePath == "/" ? url.GetLeftPart(UriPartial.Authority) : url.ToString();
}
