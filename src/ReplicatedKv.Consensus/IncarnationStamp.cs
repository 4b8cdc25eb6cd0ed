namespace ReplicatedKv.Consensus;

/// <summary>
/// Orders the voting incarnations of one member (DESIGN.md, "Incarnations"): <see cref="Original"/> for one that voted
/// from the start; the ballot and slot of the fence through which an incarnation regained its vote; or a probe
/// generation for one that took its vote by probing a brand-new cluster. Compared by fence ballot, then fence slot,
/// then probe generation, so a fence stamp (non-zero ballot) is above every probe stamp. The proof shows successive
/// incarnations of a member get strictly increasing stamps without any timing assumption.
/// </summary>
public readonly record struct IncarnationStamp(Ballot FenceBallot, long FenceSlot, long ProbeGeneration) : IComparable<IncarnationStamp>
{
    /// <summary>The incarnation a member started the cluster with (or any record written before incarnations existed).</summary>
    public static IncarnationStamp Original => default;

    /// <summary>Regained its vote through the fence: slot <paramref name="slot"/> proposed by the leader of <paramref name="ballot"/>.</summary>
    public static IncarnationStamp Fence(Ballot ballot, long slot)
    {
        if (ballot == Ballot.Zero || slot < 1)
        {
            throw new ArgumentException("A fence stamp needs a leader's ballot and a slot of at least 1.");
        }

        return new IncarnationStamp(ballot, slot, 0);
    }

    /// <summary>Took its vote by probing a brand-new cluster, as generation <paramref name="generation"/> (at least 1).</summary>
    public static IncarnationStamp Probe(long generation)
    {
        if (generation < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(generation), generation, "A probe generation is at least 1.");
        }

        return new IncarnationStamp(Ballot.Zero, 0, generation);
    }

    public int CompareTo(IncarnationStamp other)
    {
        var byBallot = FenceBallot.CompareTo(other.FenceBallot);
        if (byBallot != 0)
        {
            return byBallot;
        }

        return FenceSlot != other.FenceSlot ? FenceSlot.CompareTo(other.FenceSlot) : ProbeGeneration.CompareTo(other.ProbeGeneration);
    }

    public static bool operator <(IncarnationStamp left, IncarnationStamp right) => left.CompareTo(right) < 0;
    public static bool operator >(IncarnationStamp left, IncarnationStamp right) => left.CompareTo(right) > 0;
    public static bool operator <=(IncarnationStamp left, IncarnationStamp right) => left.CompareTo(right) <= 0;
    public static bool operator >=(IncarnationStamp left, IncarnationStamp right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{FenceBallot}/{FenceSlot}/{ProbeGeneration}";
}
