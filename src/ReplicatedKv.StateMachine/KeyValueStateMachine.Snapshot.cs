namespace ReplicatedKv.StateMachine;

/// <summary>Snapshots: freezing the state, writing it out, and rebuilding a state machine from one.</summary>
public sealed partial class KeyValueStateMachine
{
    /// <summary>
    /// Freezes the current state for writing or hashing on another thread while applying continues. Costs an
    /// O(keys) copy of references on the calling thread; see <see cref="StateSnapshotView"/>.
    /// </summary>
    public StateSnapshotView CreateSnapshotView()
    {
        var entries = new KeyValuePair<string, VersionedValue>[_entries.Count];
        ((ICollection<KeyValuePair<string, VersionedValue>>)_entries).CopyTo(entries, 0);
        return new StateSnapshotView(AppliedSlot, Revision, entries, _sessions.Freeze());
    }

    /// <summary>Writes the current state as a snapshot payload; shaped for <c>NodeStorage.SaveSnapshotAsync</c>.</summary>
    public Task WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken = default) =>
        CreateSnapshotView().WriteAsync(destination, cancellationToken);

    /// <inheritdoc cref="StateSnapshotView.ComputeStateHash"/>
    public string ComputeStateHash() => CreateSnapshotView().ComputeStateHash();

    /// <summary>
    /// Rebuilds the state a snapshot payload describes. Reads <paramref name="source"/> to its end, which must
    /// be the end of the payload. Throws <see cref="SnapshotFormatException"/> for a truncated or damaged one.
    /// </summary>
    /// <param name="source">The payload, as written by <see cref="WriteSnapshotAsync"/> or <see cref="StateSnapshotView.WriteAsync"/>.</param>
    /// <param name="options">Must equal the options of the replicas that go on applying alongside this one.</param>
    /// <param name="cancellationToken">Abandons the restore.</param>
    public static async Task<KeyValueStateMachine> RestoreAsync(Stream source, StateMachineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var reader = new SnapshotPayloadReader(source);
        await reader.FillAsync(SnapshotFormat.HeaderLength, cancellationToken);
        SnapshotFormat.ReadHeader(reader.Buffered, out var format, out var appliedSlot, out var revision, out var keyCount);
        reader.Consume(SnapshotFormat.HeaderLength);

        // The count is only a sizing hint until the entries are actually there; a damaged one must not allocate gigabytes.
        var machine = new KeyValueStateMachine(options, capacity: (int)Math.Min(keyCount, 1 << 22))
        {
            AppliedSlot = appliedSlot,
            Revision = revision,
        };
        for (long i = 0; i < keyCount; i++)
        {
            string key;
            VersionedValue entry;
            int valueLength;
            int headerLength;
            while (!SnapshotFormat.TryReadEntryHeader(reader.Buffered, format, out key, out entry, out valueLength, out headerLength))
            {
                await reader.FillMoreAsync(cancellationToken);
            }

            reader.Consume(headerLength);
            var value = valueLength <= reader.BufferedLength
                ? reader.TakeBuffered(valueLength)
                : await reader.ReadBytesAsync(valueLength, cancellationToken);
            if (entry.Version == 0 || entry.Version > revision)
            {
                throw new SnapshotFormatException($"key '{key}' has mod revision {entry.Version}, outside 1..{revision}");
            }

            if (entry.CreateRevision == 0 || entry.CreateRevision > entry.Version || entry.KeyVersion == 0)
            {
                throw new SnapshotFormatException($"key '{key}' has create revision {entry.CreateRevision} and version {entry.KeyVersion} with mod revision {entry.Version}");
            }

            if (!machine._entries.TryAdd(key, entry with { Value = value }))
            {
                throw new SnapshotFormatException($"key '{key}' appears twice");
            }
        }

        machine._listing = new ListingIndex(machine._entries, ListingIndex.Rebuild(machine._entries));
        ulong sessionCount;
        while (!TryReadCount(reader, out sessionCount))
        {
            await reader.FillMoreAsync(cancellationToken);
        }

        for (ulong i = 0; i < sessionCount; i++)
        {
            ClientSession session;
            int length;
            while (!SnapshotFormat.TryReadSession(reader.Buffered, out session, out length))
            {
                await reader.FillMoreAsync(cancellationToken);
            }

            reader.Consume(length);
            if (session.LastActiveRevision > revision)
            {
                throw new SnapshotFormatException($"client '{session.ClientId}' was active at revision {session.LastActiveRevision}, after the snapshot's {revision}");
            }

            machine._sessions.Restore(session);
        }

        await reader.FillAsync(SnapshotFormat.TrailerLength, cancellationToken);
        if (!reader.Buffered[..SnapshotFormat.TrailerLength].SequenceEqual(SnapshotFormat.Trailer))
        {
            throw new SnapshotFormatException("the snapshot does not end with its trailer");
        }

        reader.Consume(SnapshotFormat.TrailerLength);
        if (!await reader.AtEndAsync(cancellationToken))
        {
            throw new SnapshotFormatException("bytes follow the snapshot's trailer");
        }

        return machine;
    }

    private static bool TryReadCount(SnapshotPayloadReader reader, out ulong count)
    {
        var cursor = reader.Buffered;
        if (!SnapshotFormat.TryReadNumber(ref cursor, out count))
        {
            return false;
        }

        reader.Consume(reader.BufferedLength - cursor.Length);
        return true;
    }
}
