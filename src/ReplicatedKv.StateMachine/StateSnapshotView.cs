namespace ReplicatedKv.StateMachine;

/// <summary>
/// The state as of one moment, frozen: safe to write out or hash on any thread while the apply loop carries on.
/// </summary>
/// <remarks>
/// Made by <see cref="KeyValueStateMachine.CreateSnapshotView"/>, which copies the table's entries (references
/// to keys and value arrays, plus revisions and versions) into one array and the client table into another. That pause is
/// O(keys) on the apply loop, with no per-key allocation: one 40-byte array element per key (about 40 MB and
/// some tens of milliseconds for a million keys). Keys and values themselves are shared with the live table,
/// which never modifies a stored value array, only replaces it. The view keeps them alive until it is dropped.
/// </remarks>
public sealed class StateSnapshotView
{
    private readonly KeyValuePair<string, VersionedValue>[] _entries;
    private readonly ClientSession[] _sessions;

    internal StateSnapshotView(long appliedSlot, ulong revision, KeyValuePair<string, VersionedValue>[] entries, ClientSession[] sessions)
    {
        AppliedSlot = appliedSlot;
        Revision = revision;
        _entries = entries;
        _sessions = sessions;
    }

    public long AppliedSlot { get; }

    public ulong Revision { get; }

    public int Count => _entries.Length;

    public int ClientSessionCount => _sessions.Length;

    /// <summary>Writes this state as a snapshot payload (the layout is described on <c>SnapshotFormat</c>). Safe on any thread.</summary>
    public async Task WriteAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var writer = new SnapshotPayloadWriter(destination);
        await writer.EnsureAsync(SnapshotFormat.HeaderLength, cancellationToken);
        SnapshotFormat.WriteHeader(writer.Free, AppliedSlot, Revision, _entries.Length);
        writer.Advance(SnapshotFormat.HeaderLength);

        for (var i = 0; i < _entries.Length; i++)
        {
            var key = _entries[i].Key;
            var entry = _entries[i].Value;
            var keyByteCount = StrictUtf8.Encoding.GetByteCount(key);
            var headerLength = SnapshotFormat.MaxEntryHeaderLength(keyByteCount);
            var inline = entry.Value.Length <= writer.InlineLimit;
            await writer.EnsureAsync(headerLength + (inline ? entry.Value.Length : 0), cancellationToken);
            writer.Advance(SnapshotFormat.WriteEntryHeader(writer.Free, key, keyByteCount, entry));
            if (inline)
            {
                entry.Value.CopyTo(writer.Free);
                writer.Advance(entry.Value.Length);
            }
            else
            {
                await writer.WriteThroughAsync(entry.Value, cancellationToken);
            }
        }

        await writer.EnsureAsync(Varint.MaxLength, cancellationToken);
        writer.Advance(Varint.Write(writer.Free, (ulong)_sessions.Length));
        for (var i = 0; i < _sessions.Length; i++)
        {
            var clientIdByteCount = StrictUtf8.Encoding.GetByteCount(_sessions[i].ClientId);
            await writer.EnsureAsync(SnapshotFormat.MaxSessionLength(clientIdByteCount), cancellationToken);
            writer.Advance(SnapshotFormat.WriteSession(writer.Free, _sessions[i], clientIdByteCount));
        }

        await writer.EnsureAsync(SnapshotFormat.TrailerLength, cancellationToken);
        SnapshotFormat.Trailer.CopyTo(writer.Free);
        writer.Advance(SnapshotFormat.TrailerLength);
        await writer.FlushAsync(cancellationToken);
        await destination.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// A digest of the replicated state: revision, every key with its value, mod revision, create
    /// revision and version (in ordinal key order),
    /// and the client table (in client id order). Replicas that applied the same commands have the same hash;
    /// the applied slot is left out, so a no-op slot does not change it. Costs a sort of the keys: use it for
    /// checks and tests, not per request.
    /// </summary>
    public string ComputeStateHash() => StateHasher.Compute(Revision, _entries, _sessions);
}
