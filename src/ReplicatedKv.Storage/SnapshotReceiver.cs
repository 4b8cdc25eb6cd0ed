namespace ReplicatedKv.Storage;

/// <summary>
/// Receives a snapshot file from a peer chunk by chunk into a temporary file. Complete verifies the checksum
/// and the slot, then publishes it atomically; an abandoned or damaged transfer leaves nothing behind.
/// </summary>
public sealed class SnapshotReceiver : IAsyncDisposable
{
    private readonly SnapshotStore _store;
    private readonly string _temporary;
    private readonly FileStream _file;
    private bool _completed;

    internal SnapshotReceiver(SnapshotStore store, long slot, string temporary)
    {
        _store = store;
        Slot = slot;
        _temporary = temporary;
        _file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
    }

    public long Slot { get; }

    public ValueTask WriteChunkAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken = default) =>
        _file.WriteAsync(chunk, cancellationToken);

    /// <summary>Makes the received snapshot durable and visible; throws <see cref="InvalidDataException"/> if it is damaged.</summary>
    public async Task<SnapshotReader> CompleteAsync(CancellationToken cancellationToken = default)
    {
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        FileSync.DataSync(_file.SafeFileHandle);
        await _file.DisposeAsync().ConfigureAwait(false);
        if (!SnapshotStore.Verify(_temporary, out var layout) || SlotOf(_temporary) != Slot)
        {
            File.Delete(_temporary);
            _completed = true;
            throw new InvalidDataException($"received snapshot for slot {Slot} is damaged or for another slot");
        }

        _store.Publish(_temporary, Slot);
        _completed = true;
        return layout.ReaderFor(Slot, _store.PathOf(Slot));
    }

    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        if (!_completed && File.Exists(_temporary))
        {
            File.Delete(_temporary);
        }
    }

    private static long SlotOf(string path)
    {
        Span<byte> header = stackalloc byte[SnapshotStore.HeaderSize];
        using var stream = File.OpenRead(path);
        stream.ReadExactly(header);
        return SnapshotStore.SlotInHeader(header);
    }
}
