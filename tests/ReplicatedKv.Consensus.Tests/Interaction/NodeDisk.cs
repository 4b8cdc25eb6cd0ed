using ReplicatedKv.Testing.Simulation;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// What survives a crash of one node: the acceptor's hard state, the accepted entries (a later write to a
/// slot replaces the earlier one) and the newest state-machine snapshot.
/// </summary>
internal sealed class NodeDisk : IDiskTwin
{
    private readonly SortedDictionary<long, LogEntry> _entries = [];

    public HardState HardState { get; private set; }

    public StateSnapshot Snapshot { get; private set; } = StateSnapshot.Empty;

    public IEnumerable<LogEntry> Entries => _entries.Values;

    /// <summary>Entries first, then the hard state: the order the Ready contract asks for. Every write is durable at once.</summary>
    public void Persist(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        foreach (var entry in ready.Entries)
        {
            _entries[entry.Slot] = entry;
        }

        if (ready.HardState is { } state)
        {
            HardState = state;
        }
    }

    /// <summary>Stores a snapshot and drops the entries it covers, as a host does once the snapshot is durable.</summary>
    public void SaveSnapshot(StateSnapshot snapshot)
    {
        Snapshot = snapshot;
        foreach (var slot in _entries.Keys.Where(slot => slot <= snapshot.Slot).ToArray())
        {
            _entries.Remove(slot);
        }
    }

    public PersistentState ToPersistentState() => new(HardState, Snapshot.Slot, _entries.Values.ToArray());
}
