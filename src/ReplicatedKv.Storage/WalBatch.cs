using System.Buffers;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>Records that become durable together: usually everything one Ready asks to persist.</summary>
public sealed class WalBatch
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    internal TaskCompletionSource Durable { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ReadOnlyMemory<byte> Bytes => _buffer.WrittenMemory;

    internal long MaxSlot { get; private set; }

    internal HardState? HardState { get; private set; }

    internal long SnapshotMarker { get; private set; }

    public int Length => _buffer.WrittenCount;

    public int RecordCount { get; private set; }

    public void AddEntry(LogEntry entry)
    {
        WalFormat.WriteEntry(_buffer, entry);
        MaxSlot = Math.Max(MaxSlot, entry.Slot);
        RecordCount++;
    }

    public void AddHardState(HardState state)
    {
        WalFormat.WriteHardState(_buffer, state);
        HardState = state;
        RecordCount++;
    }

    public void AddSnapshotMarker(long slot)
    {
        WalFormat.WriteSnapshotMarker(_buffer, slot);
        SnapshotMarker = Math.Max(SnapshotMarker, slot);
        RecordCount++;
    }
}
