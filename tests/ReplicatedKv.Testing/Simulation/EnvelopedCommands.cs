using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// What test drivers need to know about the commands node cores put in the log (client commands behind the node
/// core's envelope header), without reaching into the core themselves.
/// </summary>
public static class EnvelopedCommands
{
    /// <summary>Decodes the client command inside one logged envelope; false for bytes no node core wrote.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> envelope, out KvCommand command) =>
        CommandCodec.TryDecode(CommandEnvelope.Unwrap(envelope, out _, out _, out _).Span, out command);

    /// <summary>The state machine a snapshot of these decided values restores to: every slot applied in order (index 0 is slot 1).</summary>
    public static KeyValueStateMachine RestoreTable(IReadOnlyList<SlotValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var table = new KeyValueStateMachine();
        var commands = new List<ReadOnlyMemory<byte>>();
        for (var i = 0; i < values.Count; i++)
        {
            commands.Clear();

            // A configuration slot applies nothing to the table, as NodeCore applies it.
            foreach (var envelope in Configuration.TryFrom(values[i], out _) ? [] : values[i].Commands)
            {
                commands.Add(CommandEnvelope.Unwrap(envelope, out _, out _, out _));
            }

            table.Apply(i + 1, commands);
        }

        return table;
    }
}
