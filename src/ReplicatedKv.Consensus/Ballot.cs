namespace ReplicatedKv.Consensus;

/// <summary>
/// A Paxos ballot (proposal number): totally ordered by <see cref="Round"/>, then by <see cref="NodeId"/>,
/// so two proposers never share a ballot (Paxos Made Simple, §2.2, "disjoint sets of numbers").
/// </summary>
public readonly record struct Ballot(long Round, int NodeId) : IComparable<Ballot>
{
    /// <summary>The ballot below every ballot a proposer can use: nothing has been promised yet.</summary>
    public static Ballot Zero => default;

    public int CompareTo(Ballot other) =>
        Round != other.Round ? Round.CompareTo(other.Round) : NodeId.CompareTo(other.NodeId);

    public static bool operator <(Ballot left, Ballot right) => left.CompareTo(right) < 0;
    public static bool operator >(Ballot left, Ballot right) => left.CompareTo(right) > 0;
    public static bool operator <=(Ballot left, Ballot right) => left.CompareTo(right) <= 0;
    public static bool operator >=(Ballot left, Ballot right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Round}.{NodeId}";
}
