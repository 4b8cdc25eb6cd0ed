namespace ReplicatedKv.Consensus;

/// <summary>
/// The acceptor's durable scalars. <see cref="Promised"/> must be on disk before any message that relies
/// on it leaves (Paxos Made Simple, §2.3: an acceptor "must remember" its promise across failures).
/// <see cref="DecidedIndex"/> is an optimisation: losing it is safe, because decisions are re-learned.
/// </summary>
/// <param name="Promised">The highest ballot promised.</param>
/// <param name="DecidedIndex">Every slot up to this one is decided.</param>
/// <param name="Rejoining">
/// The replica started without trustworthy state (its data directory was lost, or it is still asking whether
/// the cluster exists) and has not yet regained its vote. Written with MustSync before it stores anything it
/// learns, cleared only when it may vote again. The default, false, means "voter", so
/// <see cref="PersistentState.Empty"/> and every record written before the flag existed read as before.
/// </param>
/// <param name="Bootstrapped">
/// A probing replica found the cluster brand new and took its vote. It makes an otherwise empty state count as
/// a voter's on restart: a crash then must not send the replica back to probing, where a peer that already
/// saw its campaign could make it a learner and leave the new cluster short of a quorum of voters.
/// </param>
/// <param name="Incarnation">
/// This life of the replica's data directory (DESIGN.md, "Incarnations"): a random non-zero id the host draws when it
/// finds the directory empty, kept across restarts with state. 0, the default, is the original incarnation of a
/// record written before incarnations existed.
/// </param>
public readonly record struct HardState(Ballot Promised, long DecidedIndex, bool Rejoining = false, bool Bootstrapped = false, ulong Incarnation = 0);
