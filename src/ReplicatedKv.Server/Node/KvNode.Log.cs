namespace ReplicatedKv.Server.Node;

public sealed partial class KvNode
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} (member {MemberId}) starting, incarnation {Incarnation}: decided through slot {Decided}, state machine at slot {Applied}")]
    private static partial void LogStarting(ILogger logger, string node, int memberId, string incarnation, long decided, long applied);

    [LoggerMessage(Level = LogLevel.Information, Message = "Leader is now {Leader} (this node: {Role}, ballot {Ballot})")]
    private static partial void LogLeaderChanged(ILogger logger, string leader, string role, string ballot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Voting state is now {State} (a node with an empty data directory votes only once that is safe)")]
    private static partial void LogRejoinState(ILogger logger, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a {Kind} from {Peer}: {Reason} ({Suppressed} more refused peer messages not logged since the last such line)")]
    private static partial void LogRejectedMessage(ILogger logger, string peer, string kind, string reason, long suppressed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage refused a write ({Reason}); retrying in {DelayMs} ms. Nothing moves until it succeeds: health is NOT_SERVING, writes are refused, Status and serializable reads still answer")]
    private static partial void LogStorageRetry(ILogger logger, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage takes writes again; the node is moving")]
    private static partial void LogStorageBack(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reason}; health reports NOT_SERVING and client requests are refused")]
    private static partial void LogStalled(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The node loop is making progress again")]
    private static partial void LogStallOver(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The node loop stopped")]
    private static partial void LogLoopDied(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutting down after the node loop failed ({Exception})")]
    private static partial void LogDisposeAfterFailure(ILogger logger, string exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Installing snapshot through slot {Slot} failed: {Reason}")]
    private static partial void LogInstallFailed(ILogger logger, long slot, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot through slot {Slot} saved")]
    private static partial void LogSnapshotSaved(ILogger logger, long slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot through slot {Slot} failed: {Reason}")]
    private static partial void LogSnapshotFailed(ILogger logger, long slot, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sending snapshot through slot {Slot} to {Peer}")]
    private static partial void LogSnapshotSending(ILogger logger, long slot, string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent snapshot through slot {Slot} to {Peer}")]
    private static partial void LogSnapshotSent(ILogger logger, long slot, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending snapshot through slot {Slot} to {Peer} failed: {Reason}")]
    private static partial void LogSnapshotSendFailed(ILogger logger, long slot, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Receiving snapshot through slot {Slot} from {Peer}")]
    private static partial void LogSnapshotReceiving(ILogger logger, long slot, string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Installed snapshot through slot {Slot}")]
    private static partial void LogSnapshotInstalled(ILogger logger, long slot);
}
