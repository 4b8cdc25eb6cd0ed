namespace ReplicatedKv.Transport;

/// <summary>Tuning for the outbound links to peers.</summary>
public sealed record PeerLinkOptions
{
    /// <summary>Messages waiting for one peer before the oldest are dropped (consensus resends what matters).</summary>
    public int QueueCapacity { get; init; } = 16_384;

    /// <summary>Most messages sent in one batch on the stream.</summary>
    public int MaxBatchMessages { get; init; } = 512;

    /// <summary>A batch stops growing once its payload passes this many bytes.</summary>
    public int MaxBatchBytes { get; init; } = 4 << 20;

    /// <summary>
    /// Largest gRPC message (one batch) sent to or accepted from a peer: one log record's worth
    /// (<see cref="MaxEntryPayloadBytes"/>) plus room for framing and the small messages batched with it. The node
    /// keeps the slots of one promise or catch-up reply to half of that (KvNode.ReplicaConfigFor).
    /// </summary>
    public int MaxMessageBytes { get; init; } = (256 << 20) + (32 << 20);

    /// <summary>
    /// Largest entry a received message may carry, as a log record's payload (<see cref="PeerMessageLimits.EntryPayloadBytes"/>):
    /// the write-ahead log's record limit (ReplicatedKv.Storage.WalFormat.MaxPayload), which the server passes in.
    /// </summary>
    public long MaxEntryPayloadBytes { get; init; } = 256 << 20;

    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The longest wait between attempts to reach a peer. Short, because a restarted member learns the leader only
    /// once the leader's link reconnects: at 2 s a restarted node spent seconds deaf (issue 19). An attempt at a
    /// peer that is down costs one refused connection.
    /// </summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A message waits at most half of this in the queue and a batch is accepted at most half of this after it
    /// left (by the sender's clock), so no message is delivered later than this: the consensus core's rule for
    /// letting a node that lost its disk vote again depends on such a bound (ReplicaConfig.RejoinQuarantineTicks).
    /// Only a probing replica's quarantine still relies on the bound (a rejoining learner is told apart by its
    /// incarnation id), so it is a memory guard far above any scheduling delay, never a reason to drop a healthy
    /// member's message: the server's default is 10 s (dropped from 5 s old).
    /// </summary>
    public TimeSpan MaxMessageAge { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes per chunk when a snapshot is streamed to a peer.</summary>
    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    /// <summary>Mutual TLS to the peers (https peer URLs); null dials plaintext.</summary>
    public Tls.PeerTls? Tls { get; init; }
}
