using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>Something in flight on the simulated network, from one node to another.</summary>
internal abstract record Envelope(int From, int To);

/// <summary>A consensus message produced by a Ready.</summary>
internal sealed record MessageEnvelope(PeerMessage Message) : Envelope(Message.From, Message.To);

/// <summary>A routing message of the node core (forwarded writes, read-index traffic).</summary>
internal sealed record RoutingEnvelope(RoutingMessage Message) : Envelope(Message.From, Message.To);

/// <summary>
/// A state-machine snapshot on its way to a peer that asked for compacted slots. The protocol leaves the
/// transfer to the host, so it travels outside <see cref="PeerMessage"/>.
/// </summary>
internal sealed record SnapshotEnvelope(int From, int To, StateSnapshot Snapshot) : Envelope(From, To);
