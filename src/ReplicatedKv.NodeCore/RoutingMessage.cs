namespace ReplicatedKv.NodeCore;

/// <summary>
/// A one-way message between node cores about client work (not consensus): forwarded writes and read-index
/// requests. Like consensus messages, a reply travels as its own message; any of them may be lost.
/// </summary>
public abstract record RoutingMessage(int From, int To);

/// <summary>Client writes a follower hands to the leader it knows, as command envelopes (see CommandEnvelope).</summary>
public sealed record ForwardWrites(int From, int To, IReadOnlyList<ReadOnlyMemory<byte>> Commands) : RoutingMessage(From, To);

/// <summary>
/// Forwarded writes given back to the node that took them: the receiver is not (or no longer) the leader, or its
/// queue is full. With <see cref="MaybeDecided"/> they had reached slots and may still be decided. With a
/// <see cref="Reason"/> the leader refused them as malformed or over a limit: no leader will take them.
/// </summary>
public sealed record ForwardRefused(int From, int To, IReadOnlyList<ReadOnlyMemory<byte>> Commands, bool Overloaded, bool MaybeDecided, string? Reason = null)
    : RoutingMessage(From, To);

/// <summary>"Tell me your decided slot once you confirmed you still lead": a follower's linearizable reads.</summary>
public sealed record ReadIndexRequest(int From, int To, long ReadId) : RoutingMessage(From, To);

/// <summary>The answer to <see cref="ReadIndexRequest"/>: the read index, or that the one asked does not lead.</summary>
public sealed record ReadIndexReply(int From, int To, long ReadId, long Index, bool NotLeader) : RoutingMessage(From, To);
