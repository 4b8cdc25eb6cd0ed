using ReplicatedKv.Transport.Tls;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

// A removed follower may never learn from the log that it was removed: the leader stops sending to it once the new
// configuration governs, which can be before the decision reached it. So a node that sees no live leader for a while
// asks the voters it knows (PeerLink.Join) whether they still list it; when a majority of them answer that they do
// not, it takes itself as removed: it refuses writes with that reason and Status says MEMBER_ROLE_NONE. It decides
// nothing about consensus: the core, which never campaigns as a non-voter, is untouched by it.
public sealed partial class KvNode
{
    private PeerTls? _peerTls;
    private volatile string? _reportedRemoved;
    private Task _removalWatch = Task.CompletedTask;

    /// <summary>Why this node counts itself removed (from its log, or as its peers report), or null.</summary>
    private string? RemovedReason => _removedReason ?? _reportedRemoved;

    private void StartRemovalWatch(PeerTls? peerTls)
    {
        _peerTls = peerTls;
        _removalWatch = Task.Run(WatchForRemovalAsync);
    }

    private async Task WatchForRemovalAsync()
    {
        var period = _settings.TickInterval * (_settings.ElectionTicks * 4);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(period, _time, _stop.Token).ConfigureAwait(false);
                if (_view.SeesLiveQuorum || RemovedReason is not null)
                {
                    continue;
                }

                var voters = _members.Members.Where(m => m.Id != _members.SelfId && m.IsVoter).ToArray();
                if (voters.Length == 0)
                {
                    continue;
                }

                var notListing = new List<string>();
                foreach (var voter in voters)
                {
                    Wire.JoinResponse? answer;
                    try
                    {
                        answer = await ClusterJoin.AskAsync(voter, _settings, _peerTls, PeerAuthenticator, _logger, round: 1, _stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // One member's odd failure must not end the watch for good: count it as no answer.
                        LogRemovalAskFailed(_logger, voter.Name, ex.GetType().Name, ex.Message);
                        continue;
                    }

                    if (answer is { Listed: false, Members.Count: > 0 })
                    {
                        notListing.Add(voter.Name);
                    }
                }

                // A majority of the voters this node knows, itself counted among them, so itself never enough alone.
                if (notListing.Count >= Math.Min(((voters.Length + 1) / 2) + 1, voters.Length))
                {
                    _reportedRemoved = $"this node was removed from the cluster ({string.Join(", ", notListing)} no longer list it)";
                    LogReportedRemoved(_logger, string.Join(", ", notListing));
                    RefreshView();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Asking {Member} whether it still lists this node failed ({Type}: {Reason}); counted as no answer")]
    private static partial void LogRemovalAskFailed(ILogger logger, string member, string type, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node was removed from the cluster: {Members} no longer list it in their configuration; it serves no more writes")]
    private static partial void LogReportedRemoved(ILogger logger, string members);
}
