namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    // The first value any node applied at each slot. Consensus means every later application agrees with it.
    private readonly Dictionary<long, string> _firstAppliedValue = [];

    /// <summary>
    /// Applies a slot to a node's state machine and checks agreement across the whole run, so a golden file
    /// can never record a trace in which two nodes applied different values at one slot.
    /// </summary>
    private void Apply(InteractionNode node, AppliedSlot slot)
    {
        CheckAgreement(node, slot);
        node.Apply(slot);
    }

    private void CheckAgreement(InteractionNode node, AppliedSlot slot)
    {
        var value = string.Join(',', slot.Commands);
        if (!_firstAppliedValue.TryAdd(slot.Slot, value) && _firstAppliedValue[slot.Slot] != value)
        {
            throw new InvalidOperationException(
                $"agreement violated: node {node.Id} applied [{value}] at slot {slot.Slot}, " +
                $"another node applied [{_firstAppliedValue[slot.Slot]}]");
        }
    }
}
