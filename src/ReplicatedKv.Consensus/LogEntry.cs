namespace ReplicatedKv.Consensus;

/// <summary>
/// A value an acceptor holds for a slot: the value and the ballot it was accepted under. For slots at or
/// below the holder's decided index the value is the decided one, whatever the ballot says.
/// </summary>
public readonly record struct LogEntry(long Slot, Ballot Ballot, SlotValue Value)
{
    /// <summary>True for the empty cell of a slot nobody has written.</summary>
    public bool IsEmpty => Value is null;
}
