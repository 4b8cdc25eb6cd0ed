namespace ReplicatedKv.Consensus;

/// <summary>
/// The acceptor's durable scalars. <see cref="Promised"/> must be on disk before any message that relies
/// on it leaves (Paxos Made Simple, §2.3: an acceptor "must remember" its promise across failures).
/// <see cref="DecidedIndex"/> is an optimisation: losing it is safe, because decisions are re-learned.
/// </summary>
public readonly record struct HardState(Ballot Promised, long DecidedIndex);
