namespace ReplicatedKv.Consensus;

/// <summary>
/// A Paxos ballot (proposal number): totally ordered by <see cref="Round"/>, then by <see cref="NodeId"/>,
/// so two proposers never share a ballot (Paxos Made Simple, §2.2, "disjoint sets of numbers").
/// </summary>
public readonly record struct Ballot(long Round, int NodeId) : IComparable<Ballot>
{
    /// <summary>The ballot below every ballot a proposer can use: nothing has been promised yet.</summary>
    public static Ballot Zero => default;

    /// <summary>
    /// The highest round any replica forms or accepts. Far below long.MaxValue so that forming the next ballot
    /// never overflows; a message naming a higher round is malformed.
    /// </summary>
    public const long MaxRound = long.MaxValue / 4;

    /// <summary>
    /// How far past the highest round a replica has seen a message may jump. Honest replicas raise the round by one
    /// per candidacy; without this bound one forged ballot at <see cref="MaxRound"/> would leave no higher ballot to
    /// form, and every acceptor that promised it would be wedged for good (the promise is durable). Bounded, a
    /// faulty member needs MaxRound / MaxRoundAdvance (2^41) promised jumps to exhaust the rounds.
    /// </summary>
    public const long MaxRoundAdvance = 1L << 20;

    public int CompareTo(Ballot other) =>
        Round != other.Round ? Round.CompareTo(other.Round) : NodeId.CompareTo(other.NodeId);

    public static bool operator <(Ballot left, Ballot right) => left.CompareTo(right) < 0;
    public static bool operator >(Ballot left, Ballot right) => left.CompareTo(right) > 0;
    public static bool operator <=(Ballot left, Ballot right) => left.CompareTo(right) <= 0;
    public static bool operator >=(Ballot left, Ballot right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Round}.{NodeId}";
}
