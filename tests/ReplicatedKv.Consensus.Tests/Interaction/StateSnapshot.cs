namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// The state machine as of <see cref="Slot"/>: the decided value of every slot through it, in order (index 0 is
/// slot 1). Enough to rebuild the node core's table, and to check that a snapshot carries exactly the decided history.
/// </summary>
internal sealed record StateSnapshot(long Slot, IReadOnlyList<SlotValue> Values)
{
    public static StateSnapshot Empty { get; } = new(0, Array.Empty<SlotValue>());
}
