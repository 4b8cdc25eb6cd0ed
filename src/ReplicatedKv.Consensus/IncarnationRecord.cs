namespace ReplicatedKv.Consensus;

/// <summary>
/// "The newest incarnation of <see cref="Member"/> I know of is <see cref="Id"/>, stamped <see cref="Stamp"/>."
/// Only records above <see cref="IncarnationStamp.Original"/> are ever kept or sent: a member with no record is its
/// original incarnation, whatever its id.
/// </summary>
public readonly record struct IncarnationRecord(int Member, IncarnationStamp Stamp, ulong Id)
{
    /// <summary>
    /// Whether this record supersedes <paramref name="other"/> (same member): the higher stamp wins. Equal stamps with
    /// different ids mean overlapping losses, outside the argument; the higher id wins so that tables still converge.
    /// </summary>
    public bool Supersedes(IncarnationRecord other) =>
        Stamp != other.Stamp ? Stamp > other.Stamp : Id > other.Id;

    /// <summary>Throws unless this is a record a replica may hold: a member id, a non-original stamp and a non-zero id.</summary>
    public void Validate()
    {
        if (Member < 0 || Stamp == IncarnationStamp.Original || Id == 0)
        {
            throw new ArgumentException($"Malformed incarnation record {this}: needs a member, a non-original stamp and a non-zero id.");
        }
    }
}
