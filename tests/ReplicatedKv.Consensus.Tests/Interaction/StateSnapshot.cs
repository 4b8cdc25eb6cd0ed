namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>The commands of one applied slot, as text (a no-op slot has none).</summary>
internal sealed record AppliedSlot(long Slot, IReadOnlyList<string> Commands);

/// <summary>
/// The state machine as of <see cref="Slot"/>: here simply every applied slot in order, which is all a
/// test needs to check that a snapshot carries exactly the decided history.
/// </summary>
internal sealed record StateSnapshot(long Slot, IReadOnlyList<AppliedSlot> AppliedSlots)
{
    public static StateSnapshot Empty { get; } = new(0, Array.Empty<AppliedSlot>());
}
