using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>The state machine: one encoded set applied as one slot (keys cycle, so the table stops growing).</summary>
public sealed class StateMachineApplyWorkload : IHotPathWorkload
{
    public const string PathName = "state-machine-apply";
    private readonly KeyValueStateMachine _stateMachine = new();
    private readonly ReadOnlyMemory<byte>[][] _slots = SampleCommands.Sets().Select(c => new ReadOnlyMemory<byte>[] { CommandCodec.Encode(c) }).ToArray();
    private long _slot;

    public string Name => PathName;

    public void RunOnce()
    {
        var slot = ++_slot;
        _ = _stateMachine.Apply(slot, _slots[slot % _slots.Length]);
    }

    public void Dispose()
    {
    }
}
