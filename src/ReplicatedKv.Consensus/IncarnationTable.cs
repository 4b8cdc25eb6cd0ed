namespace ReplicatedKv.Consensus;

/// <summary>
/// The newest incarnation this replica knows of for each member (DESIGN.md, "Incarnations"). Immutable: a merge
/// returns a new table, so a candidate can keep the table it started a candidacy with and compare. Part of the
/// durable acceptor state: records only ever move to higher stamps.
/// </summary>
public sealed class IncarnationTable
{
    private readonly IncarnationRecord[] _records; // one per member, sorted by member

    private IncarnationTable(IncarnationRecord[] records) => _records = records;

    /// <summary>No records: every member is its original incarnation.</summary>
    public static IncarnationTable Empty { get; } = new([]);

    /// <summary>The records, sorted by member, none original.</summary>
    public IReadOnlyList<IncarnationRecord> Records => _records;

    /// <summary>Builds a table from records (for instance as persisted); where a member repeats, the newest wins.</summary>
    public static IncarnationTable From(IEnumerable<IncarnationRecord> records) => Empty.Merge(records);

    /// <summary>The record for <paramref name="member"/>, or null for its original incarnation.</summary>
    public IncarnationRecord? For(int member)
    {
        foreach (var record in _records)
        {
            if (record.Member == member)
            {
                return record;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a vote (a promise, an acceptance) from incarnation <paramref name="id"/> of <paramref name="member"/>
    /// may count: with no record, any incarnation (the original); with one, only the incarnation it names.
    /// </summary>
    public bool Admits(int member, ulong id) => For(member) is not { } record || record.Id == id;

    /// <summary>This table with every record of <paramref name="incoming"/> that supersedes the one held; the same instance when none does.</summary>
    public IncarnationTable Merge(IEnumerable<IncarnationRecord> incoming)
    {
        List<IncarnationRecord>? merged = null;
        foreach (var record in incoming)
        {
            record.Validate();
            var current = merged is null ? For(record.Member) : Find(merged, record.Member);
            if (current is { } held && !record.Supersedes(held))
            {
                continue;
            }

            merged ??= [.. _records];
            merged.RemoveAll(r => r.Member == record.Member);
            merged.Add(record);
        }

        return merged is null ? this : new IncarnationTable([.. merged.OrderBy(r => r.Member)]);
    }

    /// <summary>
    /// True when this table holds, for some member, a record that supersedes what <paramref name="carried"/> says
    /// (no record there meaning the original): a candidacy that carried it is stale and must not get a promise (I3).
    /// </summary>
    public bool IsNewerThan(IncarnationTable carried)
    {
        foreach (var record in _records)
        {
            if (carried.For(record.Member) is not { } theirs || record.Supersedes(theirs))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => _records.Length == 0 ? "{}" : "{" + string.Join(", ", _records.Select(r => $"{r.Member}:{r.Id:x}@{r.Stamp}")) + "}";

    private static IncarnationRecord? Find(List<IncarnationRecord> records, int member)
    {
        foreach (var record in records)
        {
            if (record.Member == member)
            {
                return record;
            }
        }

        return null;
    }
}
