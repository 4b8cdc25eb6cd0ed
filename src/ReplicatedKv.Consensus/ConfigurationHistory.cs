namespace ReplicatedKv.Consensus;

/// <summary>
/// The decided configurations a replica still needs, oldest first: the one governing the oldest slot it may still
/// be asked about, and every later one. Configuration for slot i: the last entry whose effective slot is at most i.
/// </summary>
internal sealed class ConfigurationHistory
{
    private readonly List<ConfigurationEntry> _entries;

    public ConfigurationHistory(IEnumerable<ConfigurationEntry> entries)
    {
        _entries = [.. entries.OrderBy(e => e.Slot)];
        if (_entries.Count == 0)
        {
            throw new ArgumentException("a configuration history needs at least one entry", nameof(entries));
        }
    }

    /// <summary>The most recently decided configuration (it may not govern any slot yet).</summary>
    public ConfigurationEntry Latest => _entries[^1];

    /// <summary>Changes whenever an entry is added or forgotten, so callers can cache what they derive from the entries.</summary>
    public int Version { get; private set; }

    public IReadOnlyList<ConfigurationEntry> Entries => _entries;

    /// <summary>The entry governing <paramref name="slot"/>.</summary>
    public ConfigurationEntry EntryFor(long slot)
    {
        for (var i = _entries.Count - 1; i > 0; i--)
        {
            if (_entries[i].EffectiveSlot <= slot)
            {
                return _entries[i];
            }
        }

        return _entries[0];
    }

    public Configuration For(long slot) => EntryFor(slot).Configuration;

    /// <summary>Every entry that governs some slot at or after <paramref name="slot"/>.</summary>
    public List<ConfigurationEntry> From(long slot)
    {
        var first = EntryFor(slot);
        var entries = new List<ConfigurationEntry>(_entries.Count);
        foreach (var entry in _entries)
        {
            if (entry.Slot >= first.Slot)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Records a configuration decided in <paramref name="slot"/>; ignores one at or below the latest slot (already known).</summary>
    public bool Add(long slot, Configuration configuration, bool atOnce = false)
    {
        if (slot <= Latest.Slot)
        {
            return false;
        }

        // atOnce exists only for the deliberately broken variant (ReplicaFaults.ConfigurationAtOnce).
        _entries.Add(new ConfigurationEntry(slot, slot + (atOnce ? 1 : configuration.Delay), configuration));
        Version++;
        return true;
    }

    /// <summary>Forgets entries that govern no slot at or after <paramref name="slot"/>.</summary>
    public void ForgetBefore(long slot)
    {
        // Entries are in slot order: drop the prefix below the governing one (a loop, not RemoveAll with a closure,
        // because this runs on every decision).
        var first = EntryFor(slot).Slot;
        var drop = 0;
        while (drop < _entries.Count && _entries[drop].Slot < first)
        {
            drop++;
        }

        if (drop > 0)
        {
            _entries.RemoveRange(0, drop);
            Version++;
        }
    }

    /// <summary>What a snapshot through <paramref name="slot"/> carries: the entries decided by then that govern slots after it.</summary>
    public MembershipSnapshot SnapshotAt(long slot) => new([.. From(slot + 1).Where(e => e.Slot <= slot)]);
}
