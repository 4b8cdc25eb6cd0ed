using ReplicatedKv.Consensus;

namespace ReplicatedKv.Server.Node;

// Refused peer messages: counted by reason in rkv_peer_rejected_total, logged at most once per interval. A buggy or
// hostile member can send thousands a second, and a log line (let alone a stack trace) per message would drown the log.
public sealed partial class KvNode
{
    private static readonly TimeSpan RejectionLogInterval = TimeSpan.FromSeconds(10);

    private DateTimeOffset _nextRejectionLog;
    private long _unloggedRejections;

    private void NoteRejected(int from, string kind, PaxosReplica.StepResult result)
    {
        if (result == PaxosReplica.StepResult.Handled)
        {
            return;
        }

        _metrics.PeerRejected(ReasonLabel(result));
        var now = _time.GetUtcNow();
        if (now < _nextRejectionLog)
        {
            _unloggedRejections++;
            return;
        }

        _nextRejectionLog = now + RejectionLogInterval;
        LogRejectedMessage(_logger, _members.NameOf(from), kind, result.ToString(), _unloggedRejections);
        _unloggedRejections = 0;
    }

    /// <summary>A snapshot is taken only from the leader this node follows or a member it asked; anything else is counted.</summary>
    private bool WantsSnapshotFrom(int from, long slot)
    {
        if (!_core.Replica.AcceptsDecidedValuesFrom(from))
        {
            _metrics.PeerRejected(ReasonLabel(PaxosReplica.StepResult.Unsolicited));
            return false;
        }

        return _core.WantsSnapshot(from, slot);
    }

    private static string ReasonLabel(PaxosReplica.StepResult result) => result switch
    {
        PaxosReplica.StepResult.UnknownSender => "unknown_sender",
        PaxosReplica.StepResult.WrongRecipient => "wrong_recipient",
        PaxosReplica.StepResult.Malformed => "malformed",
        PaxosReplica.StepResult.RoundTooFar => "round_too_far",
        PaxosReplica.StepResult.Unsolicited => "unsolicited",
        PaxosReplica.StepResult.OverLimit => "over_limit",
        _ => "other",
    };
}
