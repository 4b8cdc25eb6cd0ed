using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>Something on the simulated wire: a consensus or routing message, or a whole snapshot, and when it left.</summary>
internal sealed record SimEnvelope(int From, int To, PeerMessage? Message, RoutingMessage? Routing, SimSnapshot? Snapshot, long SentAt);

/// <summary>A snapshot in transit: the decided values of slots 1..Slot, and the configurations it carries.</summary>
internal sealed record SimSnapshot(long Slot, IReadOnlyList<SlotValue> Values, MembershipSnapshot? Membership = null);
