using Google.Protobuf;
using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Api;

/// <summary>
/// A write-only stream that sends what is written to it as <see cref="SnapshotChunk"/> messages of up to
/// <c>chunkSize</c> bytes, well under gRPC's 4 MiB message limit. Each send waits for HTTP/2 flow control, so a slow
/// client slows the writer instead of piling chunks up in memory.
/// </summary>
internal sealed class ChunkedResponseStream(IServerStreamWriter<SnapshotChunk> responses, int chunkSize) : Stream
{
    private byte[] _buffer = new byte[chunkSize];
    private int _used;

    public long BytesSent { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _buffer.Length - _used);
            buffer[..take].CopyTo(_buffer.AsMemory(_used));
            _used += take;
            buffer = buffer[take..];
            if (_used == _buffer.Length)
            {
                await SendAsync().ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => _used == 0 ? Task.CompletedTask : SendAsync();

    public override void Flush() => throw new NotSupportedException("asynchronous only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("asynchronous only");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task SendAsync()
    {
        // The message keeps the array it wraps until it is written; the next chunk gets a fresh one.
        var chunk = new SnapshotChunk { Data = UnsafeByteOperations.UnsafeWrap(_buffer.AsMemory(0, _used)) };
        BytesSent += _used;
        _buffer = new byte[_buffer.Length];
        _used = 0;
        await responses.WriteAsync(chunk).ConfigureAwait(false);
    }
}
