namespace ReplicatedKv.StateMachine;

/// <summary>
/// Reads a snapshot in large chunks and lets the parser work on whatever is buffered; the parser asks for more
/// when a piece straddles the end of the buffer. Values too big for the buffer are read into their own array.
/// </summary>
internal sealed class SnapshotPayloadReader(Stream source)
{
    private byte[] _buffer = new byte[SnapshotFormat.BufferSize];
    private int _start;
    private int _end;
    private bool _sourceEnded;

    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public int BufferedLength => _end - _start;

    public void Consume(int count) => _start += count;

    /// <summary>Buffers at least <paramref name="minimum"/> bytes; throws <see cref="SnapshotFormatException"/> if the stream ends first.</summary>
    public async ValueTask FillAsync(int minimum, CancellationToken cancellationToken)
    {
        if (minimum > _buffer.Length)
        {
            var larger = new byte[Math.Max(minimum, _buffer.Length * 2)];
            Buffered.CopyTo(larger);
            _end -= _start;
            _start = 0;
            _buffer = larger;
        }
        else if (_start > 0)
        {
            Buffered.CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end < minimum)
        {
            var read = _sourceEnded ? 0 : await source.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                _sourceEnded = true;
                throw new SnapshotFormatException("the snapshot ends early (truncated)");
            }

            _end += read;
        }
    }

    /// <summary>Buffers one byte more than now, the step when a parse found the buffer too short.</summary>
    public ValueTask FillMoreAsync(CancellationToken cancellationToken) => FillAsync(BufferedLength + 1, cancellationToken);

    /// <summary>Copies the next <paramref name="length"/> bytes, all of them buffered, into a new array.</summary>
    public byte[] TakeBuffered(int length)
    {
        var bytes = Buffered[..length].ToArray();
        Consume(length);
        return bytes;
    }

    /// <summary>Reads the next <paramref name="length"/> bytes into a new array, from the buffer as far as it goes, then from the stream.</summary>
    public async ValueTask<byte[]> ReadBytesAsync(int length, CancellationToken cancellationToken)
    {
        if (length <= BufferedLength)
        {
            return TakeBuffered(length);
        }

        var bytes = new byte[length];
        var fromBuffer = BufferedLength;
        Buffered.CopyTo(bytes);
        Consume(fromBuffer);
        try
        {
            await source.ReadExactlyAsync(bytes.AsMemory(fromBuffer), cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new SnapshotFormatException("the snapshot ends early (truncated)", e);
        }

        return bytes;
    }

    /// <summary>True when nothing is buffered and the stream has no more bytes.</summary>
    public async ValueTask<bool> AtEndAsync(CancellationToken cancellationToken)
    {
        if (BufferedLength > 0)
        {
            return false;
        }

        if (_sourceEnded)
        {
            return true;
        }

        _start = 0;
        _end = await source.ReadAsync(_buffer, cancellationToken);
        _sourceEnded = _end == 0;
        return _sourceEnded;
    }
}
