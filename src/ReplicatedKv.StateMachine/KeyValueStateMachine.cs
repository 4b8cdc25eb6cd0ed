using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReplicatedKv.StateMachine;

/// <summary>
/// The replicated hash table: every replica applies the same decided commands in the same slot order and so
/// holds the same keys, values, versions and client table. Everything here is a function of the applied
/// commands alone (no clock, randomness or environment), which is what makes replicas converge.
/// </summary>
/// <remarks>
/// Not thread-safe: the host's apply loop owns it. Other threads read through a <see cref="StateSnapshotView"/>.
/// <see cref="Revision"/> counts applied writes (a set, or a remove that deleted something) and each such write gets
/// the next revision. A key carries three numbers, as in etcd: its modification revision (called version in the
/// older parts of this code and in <see cref="CommandResult"/>; compare-and-set compares it), its create revision,
/// and its own version (1 at creation, +1 per set). Keys are also kept in UTF-8 byte order beside the hash table
/// for listing (<see cref="List"/>).
/// A command carrying a <see cref="RequestId"/> is applied at most once: a retry gets the first result back
/// (<see cref="CommandResult.IsDuplicate"/>) for as long as <see cref="StateMachineOptions"/> keeps the client.
/// </remarks>
public sealed partial class KeyValueStateMachine
{
    private readonly Dictionary<string, VersionedValue> _entries;
    private readonly ClientSessionTable _sessions = new();

    // Null only in benchmarks that measure what the index costs (WithoutSortedIndex).
    private ListingIndex? _listing;

    public KeyValueStateMachine(StateMachineOptions? options = null)
        : this(options, capacity: 0)
    {
    }

    private KeyValueStateMachine(StateMachineOptions? options, int capacity)
    {
        Options = options ?? new StateMachineOptions();
        Options.Validate();
        _entries = new Dictionary<string, VersionedValue>(capacity, StringComparer.Ordinal);
        _listing = new ListingIndex(_entries, new SortedKeyIndex());
    }

    public StateMachineOptions Options { get; }

    /// <summary>The last slot applied (0 before any); a snapshot taken now covers the log through it.</summary>
    public long AppliedSlot { get; private set; }

    /// <summary>Applied writes so far; the version of the latest write.</summary>
    public ulong Revision { get; private set; }

    /// <summary>Keys present.</summary>
    public int Count => _entries.Count;

    /// <summary>Clients currently remembered for exactly-once retries.</summary>
    public int ClientSessionCount => _sessions.Count;

    /// <summary>
    /// Applies one decided slot: its commands in order, one result each. An empty batch is a no-op slot and
    /// only advances <see cref="AppliedSlot"/>. Slots must be applied in increasing order.
    /// </summary>
    public IReadOnlyList<CommandResult> Apply(long slot, IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (slot <= AppliedSlot)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slot {slot} is not after the applied slot {AppliedSlot}");
        }

        var results = commands.Count == 0 ? [] : new CommandResult[commands.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = ApplyOne(commands[i].Span);
        }

        AppliedSlot = slot;
        return results;
    }

    public bool TryGet(string key, out ReadOnlyMemory<byte> value, out ulong version)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_entries.TryGetValue(key, out var entry))
        {
            value = entry.Value;
            version = entry.Version;
            return true;
        }

        value = ReadOnlyMemory<byte>.Empty;
        version = 0;
        return false;
    }

    public bool Contains(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _entries.ContainsKey(key);
    }

    private CommandResult ApplyOne(ReadOnlySpan<byte> encoded)
    {
        if (!CommandCodec.TryDecode(encoded, out var command))
        {
            return CommandResult.Invalid;
        }

        if (command.RequestId is not { } id)
        {
            var anonymous = Execute(command);
            _sessions.Expire(Revision, Options);
            return anonymous;
        }

        if (_sessions.TryGet(id.ClientId, out var last))
        {
            if (id.Sequence == last.Sequence)
            {
                return last.Result.AsDuplicate();
            }

            if (id.Sequence < last.Sequence)
            {
                return CommandResult.StaleRequest;
            }
        }

        var result = Execute(command);
        _sessions.Record(id, result, Revision);
        _sessions.Expire(Revision, Options);
        return result;
    }

    private CommandResult Execute(in KvCommand command) =>
        command.Kind == CommandKind.Set ? ExecuteSet(command) : ExecuteRemove(command);

    private CommandResult ExecuteSet(in KvCommand command)
    {
        if (command.IfVersion is { } expected)
        {
            ref var existing = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, command.Key);
            var present = !Unsafe.IsNullRef(ref existing);
            var current = present ? existing.Version : 0;
            if (current != expected)
            {
                return CommandResult.FailedPrecondition(current);
            }

            if (present)
            {
                existing = Overwrite(existing, command.Value, ++Revision);
                return CommandResult.Ok(existing.Version);
            }
        }

        // One hash lookup for both cases: the common write path.
        var revision = ++Revision;
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, command.Key, out var exists);
        if (exists)
        {
            entry = Overwrite(entry, command.Value, revision);
        }
        else
        {
            entry = new VersionedValue(OwnedArray(command.Value), revision, CreateRevision: revision, KeyVersion: 1);
            _listing?.Added(command.Key);
        }

        return CommandResult.Ok(revision);
    }

    private static VersionedValue Overwrite(in VersionedValue old, ReadOnlyMemory<byte> value, ulong revision) =>
        new(OwnedArray(value), revision, old.CreateRevision, old.KeyVersion + 1);

    private CommandResult ExecuteRemove(in KvCommand command)
    {
        if (command.IfVersion is { } expected)
        {
            var current = _entries.TryGetValue(command.Key, out var existing) ? existing.Version : 0;
            if (current != expected)
            {
                return CommandResult.FailedPrecondition(current);
            }
        }

        if (!_entries.Remove(command.Key))
        {
            return CommandResult.NotFound;
        }

        _listing?.Removed(command.Key);
        return CommandResult.Ok(++Revision);
    }

    /// <summary>
    /// The value as an array the table may keep. A decoded command's value is already a fresh array of exactly
    /// its bytes, so this normally copies nothing.
    /// </summary>
    private static byte[] OwnedArray(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();
}
