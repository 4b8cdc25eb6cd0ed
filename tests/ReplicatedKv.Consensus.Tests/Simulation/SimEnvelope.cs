namespace ReplicatedKv.Consensus.Tests.Simulation;

/// <summary>Something on the simulated wire: a peer message, or a whole snapshot sent by a host, and when it left.</summary>
internal sealed record SimEnvelope(int From, int To, PeerMessage? Message, SimSnapshot? Snapshot, long SentAt);

/// <summary>A snapshot in transit: the decided values of slots 1..Slot.</summary>
internal sealed record SimSnapshot(long Slot, IReadOnlyList<SlotValue> Values);
