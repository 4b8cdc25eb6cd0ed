using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Transport;
using ReplicatedKv.Transport.Authentication;
using ReplicatedKv.Transport.Tls;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

/// <summary>
/// How a node started with <c>--initial-cluster-state existing</c> and an empty data directory learns who it is:
/// it asks the members <c>--peers</c> lists (PeerLink.Join on their peer ports) until one whose configuration lists
/// it answers with its numeric id and every member. Until then it waits, saying why, and asks again: the operator
/// runs <c>rkvctl member add</c> before or after starting it.
/// </summary>
internal static partial class ClusterJoin
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    public static async Task<MemberDirectoryFile.Contents> JoinAsync(ServerSettings settings, PeerTls? peerTls, ILogger logger, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var listed = ClusterMembers.ParseList(settings.Peers, settings.MemberClientUrls);
        var self = listed.Single(m => m.Name == settings.NodeId);
        var asSelf = new ClusterMembers(settings.ClusterId, self.Id, [self]);
        var authenticator = PeerAuthenticators.Create(asSelf, settings.PeerSecret, settings.Security.PeerTls, time);
        var others = listed.Where(m => m.Name != self.Name).ToArray();
        if (others.Length == 0)
        {
            throw new InvalidOperationException("--initial-cluster-state existing needs --peers to list at least one member to join through");
        }

        var retry = TimeSpan.FromMilliseconds(200);
        for (var round = 0; ; round++)
        {
            foreach (var member in others)
            {
                var answer = await AskAsync(member, settings, peerTls, authenticator, logger, round, cancellationToken).ConfigureAwait(false);
                if (answer is { Listed: true })
                {
                    var members = answer.Members
                        .Where(m => ClusterMembers.IsValidName(m.NodeId) && ClusterMembers.TryParseUrl(m.PeerUrl, out _))
                        .Select(m => new MemberInfo(m.Id, m.NodeId, new Uri(m.PeerUrl), m.ClientUrl.Length > 0 ? m.ClientUrl : null, m.Voter))
                        .ToList();
                    var mine = members.FirstOrDefault(m => m.Id == answer.MemberId);
                    if (mine is null || mine.Name != settings.NodeId)
                    {
                        LogBadAnswer(logger, member.Name);
                        continue;
                    }

                    if (MemberPayload.Trim(mine.PeerUrl) != MemberPayload.Trim(self.PeerUrl))
                    {
                        LogPeerUrlDiffers(logger, MemberPayload.Trim(mine.PeerUrl), MemberPayload.Trim(self.PeerUrl));
                    }

                    LogJoined(logger, member.Name, answer.MemberId, members.Count);
                    return new MemberDirectoryFile.Contents(settings.ClusterId, answer.MemberId, members, answer.HighestMemberId);
                }

                if (answer is not null && round % 10 == 0)
                {
                    LogNotListedYet(logger, member.Name, settings.NodeId);
                }
            }

            await Task.Delay(retry, time, cancellationToken).ConfigureAwait(false);
            retry = TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, 2000));
        }
    }

    /// <summary>Asks one member for its configuration; null when it cannot be asked (logged on every tenth round).</summary>
    internal static async Task<Wire.JoinResponse?> AskAsync(MemberInfo member, ServerSettings settings, PeerTls? peerTls, IPeerAuthenticator authenticator,
        ILogger logger, int round, CancellationToken cancellationToken)
    {
        try
        {
            using var channel = GrpcChannel.ForAddress(member.PeerUrl, new GrpcChannelOptions
            {
                HttpHandler = PeerTls.Apply(peerTls, new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }),
            });
            var client = new Wire.PeerLink.PeerLinkClient(channel);
            return await client.JoinAsync(
                new Wire.JoinRequest { ClusterId = settings.ClusterId, NodeId = settings.NodeId },
                authenticator.JoinHeadersFor(member.Name),
                DateTime.UtcNow + CallTimeout,
                cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (round % 10 == 0)
            {
                LogCannotAsk(logger, member.Name, ex.StatusCode.ToString(), ex.Status.Detail);
            }

            return null;
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the call failed because the member is going too (connection refused), not because it was
            // cancelled; callers stop on cancellation, so say that.
            throw new OperationCanceledException(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining: {Member} does not list {Node} in its configuration yet; waiting for `rkvctl member add {Node} --peer-url ... --client-url ...`, asking again")]
    private static partial void LogNotListedYet(ILogger logger, string member, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining: could not ask {Member} for the configuration ({Code}: {Detail}); asking the other members, then again")]
    private static partial void LogCannotAsk(ILogger logger, string member, string code, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining: {Member} answered with a configuration that does not name this node consistently; ignored")]
    private static partial void LogBadAnswer(ILogger logger, string member);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining: the configuration gives this node the peer URL {Configured}, but --peers says {Flag}; the members will dial {Configured}")]
    private static partial void LogPeerUrlDiffers(ILogger logger, string configured, string flag);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined through {Member}: this node is member id {Id} of {Count}; catching up as a learner")]
    private static partial void LogJoined(ILogger logger, string member, int id, int count);
}
