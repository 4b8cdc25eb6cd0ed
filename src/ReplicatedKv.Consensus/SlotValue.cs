namespace ReplicatedKv.Consensus;

/// <summary>
/// The value of one log slot: a batch of opaque client commands, applied in order. An empty batch is the
/// no-op a new leader uses to fill a gap it found no accepted value for.
/// </summary>
public sealed class SlotValue
{
    public SlotValue(IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        Commands = commands;
    }

    /// <summary>The gap filler: decided like any value, applies nothing.</summary>
    public static SlotValue NoOp { get; } = new(Array.Empty<ReadOnlyMemory<byte>>());

    public IReadOnlyList<ReadOnlyMemory<byte>> Commands { get; }

    public bool IsNoOp => Commands.Count == 0;

    /// <summary>Total payload bytes, the figure batching limits are measured in.</summary>
    public long PayloadBytes
    {
        get
        {
            long total = 0;
            for (var i = 0; i < Commands.Count; i++)
            {
                total += Commands[i].Length;
            }

            return total;
        }
    }

    /// <summary>Byte-wise equality of the command sequences; the agreement check compares values with it.</summary>
    public bool ContentEquals(SlotValue other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (Commands.Count != other.Commands.Count)
        {
            return false;
        }

        for (var i = 0; i < Commands.Count; i++)
        {
            if (!Commands[i].Span.SequenceEqual(other.Commands[i].Span))
            {
                return false;
            }
        }

        return true;
    }
}
