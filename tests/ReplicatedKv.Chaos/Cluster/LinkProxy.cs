using System.Net;
using System.Net.Sockets;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// One direction of one peer link, node i to node j: a TCP listener on its own loopback port forwarding every
/// connection to j's real peer port. Node i is told that j lives here, so every connection i opens to j (and
/// with it everything i sends j) passes through. <see cref="Cut"/> resets the live connections; connections
/// opened while cut are accepted but hear nothing and their bytes go nowhere, as packets into a partition, and
/// are reset at <see cref="Heal"/>, since the bytes they lost make them useless. <see cref="Delay"/> holds each
/// chunk towards j that long before passing it on, in order.
/// </summary>
internal sealed class LinkProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly HashSet<ProxiedConnection> _connections = [];
    private readonly Task _accepting;
    private long _delayTicks;
    private bool _cut;
    private bool _disposed;

    /// <summary>Listens at once on a port the kernel picks (held from then on, so no other program can take it).</summary>
    public LinkProxy(int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public bool IsCut
    {
        get
        {
            lock (_lock)
            {
                return _cut;
            }
        }
    }

    /// <summary>How long each chunk towards the target waits before it is sent on; the replies are not held.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, Math.Max(0, value.Ticks));
    }

    public void Cut()
    {
        ProxiedConnection[] live;
        lock (_lock)
        {
            if (_cut)
            {
                return;
            }

            _cut = true;
            live = [.. _connections];
        }

        foreach (var connection in live)
        {
            connection.Reset();
        }
    }

    public void Heal()
    {
        ProxiedConnection[] silenced;
        lock (_lock)
        {
            if (!_cut)
            {
                return;
            }

            _cut = false;
            silenced = [.. _connections.Where(c => c.Silenced)];
        }

        foreach (var connection in silenced)
        {
            connection.Reset();
        }
    }

    public async ValueTask DisposeAsync()
    {
        ProxiedConnection[] left;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            left = [.. _connections];
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        foreach (var connection in left)
        {
            connection.Reset();
        }

        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(left.Select(c => c.Running)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // One failed accept (e.g. the client gave up during the handshake) is no reason to stop listening.
                continue;
            }

            client.NoDelay = true;
            lock (_lock)
            {
                if (_disposed)
                {
                    client.Dispose();
                    return;
                }

                var connection = new ProxiedConnection(client, silenced: _cut);
                _connections.Add(connection);
                connection.Running = Task.Run(() => RunAsync(connection));
            }
        }
    }

    private async Task RunAsync(ProxiedConnection connection)
    {
        try
        {
            await connection.ForwardAsync(_target, () => Delay, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _connections.Remove(connection);
            }
        }
    }
}
