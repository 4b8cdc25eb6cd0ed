namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    // The first value any node applied at each slot. Consensus means every later application agrees with it.
    private readonly Dictionary<long, string> _firstAppliedValue = [];

    /// <summary>
    /// Checks a slot a node is about to apply against every earlier application in the run, so a golden file
    /// can never record a trace in which two nodes applied different values at one slot.
    /// </summary>
    private void CheckAgreement(InteractionNode node, long slot, SlotValue value)
    {
        var text = Describe.Value(value);
        if (!_firstAppliedValue.TryAdd(slot, text) && _firstAppliedValue[slot] != text)
        {
            throw new InvalidOperationException(
                $"agreement violated: node {node.Id} applied [{text}] at slot {slot}, " +
                $"another node applied [{_firstAppliedValue[slot]}]");
        }
    }
}
