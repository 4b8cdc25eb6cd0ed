using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// One connection through a <see cref="LinkProxy"/>: the accepted client socket and, unless it was accepted while
/// the link was cut (<see cref="Silenced"/>), a socket to the target with a copy loop each way.
/// </summary>
internal sealed class ProxiedConnection(Socket client, bool silenced)
{
    private const int ChunkBytes = 64 * 1024;
    private readonly Lock _lock = new();
    private Socket? _upstream;
    private bool _reset;

    /// <summary>Accepted while the link was cut: what the client sends is read and dropped, nothing comes back.</summary>
    public bool Silenced { get; } = silenced;

    public Task Running { get; set; } = Task.CompletedTask;

    /// <summary>Runs until both sides are done or <see cref="Reset"/>; never throws for a network error.</summary>
    public async Task ForwardAsync(IPEndPoint target, Func<TimeSpan> delay, CancellationToken stop)
    {
        try
        {
            if (Silenced)
            {
                await DropAllAsync(client, stop).ConfigureAwait(false);
                client.Dispose();
                return;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            lock (_lock)
            {
                if (_reset)
                {
                    upstream.Dispose();
                    return;
                }

                _upstream = upstream;
            }

            await upstream.ConnectAsync(target, stop).ConfigureAwait(false);
            await Task.WhenAll(
                PumpAsync(client, upstream, delay, stop),
                PumpAsync(upstream, client, static () => TimeSpan.Zero, stop)).ConfigureAwait(false);

            // Both sides ended their streams: a plain close, so nothing still in a send buffer is thrown away.
            client.Dispose();
            upstream.Dispose();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException or ChannelClosedException)
        {
            // The target is down, the link was cut, or the proxy is stopping: the client sees its connection reset.
            Reset();
        }
    }

    /// <summary>Closes both sockets with a TCP reset (linger 0), so neither end waits on the other.</summary>
    public void Reset()
    {
        Socket? upstream;
        lock (_lock)
        {
            _reset = true;
            upstream = _upstream;
        }

        Abort(client);
        if (upstream is not null)
        {
            Abort(upstream);
        }
    }

    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: disposing again is harmless.
        }

        socket.Dispose();
    }

    private static async Task DropAllAsync(Socket from, CancellationToken stop)
    {
        var buffer = new byte[ChunkBytes];
        while (await from.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>
    /// Reads and writes apart, through a queue of timestamped chunks, so a delay holds each chunk that long without
    /// slowing the reading down; at the end of the stream the other side is told (half-close), as TCP would.
    /// </summary>
    private async Task PumpAsync(Socket from, Socket to, Func<TimeSpan> delay, CancellationToken stop)
    {
        var chunks = Channel.CreateUnbounded<(byte[] Bytes, long Due)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writing = WriteAsync(chunks.Reader, to, stop);
        try
        {
            var buffer = new byte[ChunkBytes];
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false)) > 0)
            {
                var due = Stopwatch.GetTimestamp() + (long)(delay().TotalSeconds * Stopwatch.Frequency);
                chunks.Writer.TryWrite((buffer[..read], due));
            }

            chunks.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            // A failed side fails the whole connection: the other copy loop would otherwise wait on a live socket forever.
            chunks.Writer.TryComplete(ex);
            Reset();
            throw;
        }
        finally
        {
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await writing.ConfigureAwait(false);
        to.Shutdown(SocketShutdown.Send);
    }

    private async Task WriteAsync(ChannelReader<(byte[] Bytes, long Due)> chunks, Socket to, CancellationToken stop)
    {
        try
        {
            await WriteChunksAsync(chunks, to, stop).ConfigureAwait(false);
        }
        catch
        {
            Reset();
            throw;
        }
    }

    private static async Task WriteChunksAsync(ChannelReader<(byte[] Bytes, long Due)> chunks, Socket to, CancellationToken stop)
    {
        await foreach (var (bytes, due) in chunks.ReadAllAsync(stop).ConfigureAwait(false))
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, stop).ConfigureAwait(false);
            }

            var sent = 0;
            while (sent < bytes.Length)
            {
                sent += await to.SendAsync(bytes.AsMemory(sent), SocketFlags.None, stop).ConfigureAwait(false);
            }
        }
    }
}
