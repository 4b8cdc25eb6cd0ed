namespace ReplicatedKv.Consensus;

/// <summary>
/// The acceptor's durable scalars. <see cref="Promised"/> must be on disk before any message that relies
/// on it leaves (Paxos Made Simple, §2.3: an acceptor "must remember" its promise across failures).
/// <see cref="DecidedIndex"/> is an optimisation: losing it is safe, because decisions are re-learned.
/// <see cref="Rejoining"/> marks a replica that started without trustworthy state (its data directory was
/// lost, or it is still asking whether the cluster exists) and has not yet regained its vote; the default,
/// false, means "voter", so <see cref="PersistentState.Empty"/> and every older record read as before.
/// </summary>
public readonly record struct HardState(Ballot Promised, long DecidedIndex, bool Rejoining = false);
