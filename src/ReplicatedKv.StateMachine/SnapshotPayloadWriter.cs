namespace ReplicatedKv.StateMachine;

/// <summary>
/// Buffers small pieces of a snapshot into large stream writes, so a million keys cost a few hundred writes,
/// not millions. Values too big for the buffer go to the stream directly.
/// </summary>
internal sealed class SnapshotPayloadWriter(Stream destination)
{
    private byte[] _buffer = new byte[SnapshotFormat.BufferSize];
    private int _used;

    public Span<byte> Free => _buffer.AsSpan(_used);

    /// <summary>Values at most this long are copied into the buffer; longer ones are written straight through.</summary>
    public int InlineLimit => _buffer.Length / 2;

    public void Advance(int count) => _used += count;

    /// <summary>Makes room for <paramref name="size"/> bytes in <see cref="Free"/>, flushing (and for huge keys growing) the buffer.</summary>
    public ValueTask EnsureAsync(int size, CancellationToken cancellationToken) =>
        _buffer.Length - _used >= size ? ValueTask.CompletedTask : FlushAndGrowAsync(size, cancellationToken);

    public async ValueTask WriteThroughAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await destination.WriteAsync(bytes, cancellationToken);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_used > 0)
        {
            await destination.WriteAsync(_buffer.AsMemory(0, _used), cancellationToken);
            _used = 0;
        }
    }

    private async ValueTask FlushAndGrowAsync(int size, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }
    }
}
