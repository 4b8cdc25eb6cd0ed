using ReplicatedKv.Testing.Transport;

namespace ReplicatedKv.Transport.Tests;

/// <summary>Members on one <see cref="InMemoryPeerNetwork"/>.</summary>
public sealed class InMemoryPeerCluster : IPeerCluster
{
    private readonly IPeerTransport?[] _transports;
    private readonly RecordingInbox[] _inboxes;

    public InMemoryPeerCluster(int size)
    {
        Network = new InMemoryPeerNetwork(size, ClusterId);
        _transports = new IPeerTransport?[size];
        _inboxes = new RecordingInbox[size];
        for (var id = 1; id <= size; id++)
        {
            Connect(id);
        }
    }

    public InMemoryPeerNetwork Network { get; }

    public int Size => _transports.Length;

    public string ClusterId => "contract-in-memory";

    public string NameOf(int id) => Network.NameOf(id);

    public string ClientUrlOf(int id) => $"http://n{id}.clients.invalid:7100";

    public IPeerTransport Transport(int id) => _transports[id - 1] ?? throw new InvalidOperationException($"member {id} is down");

    public RecordingInbox Inbox(int id) => _inboxes[id - 1];

    public async Task StopAsync(int id)
    {
        if (_transports[id - 1] is { } transport)
        {
            _transports[id - 1] = null;
            await transport.DisposeAsync();
        }
    }

    public Task StartAsync(int id)
    {
        Connect(id);
        return Task.CompletedTask;
    }

    private void Connect(int id)
    {
        _inboxes[id - 1] = new RecordingInbox();
        _transports[id - 1] = Network.Connect(id, _inboxes[id - 1], ClientUrlOf(id));
    }

    public async ValueTask DisposeAsync()
    {
        for (var id = 1; id <= Size; id++)
        {
            await StopAsync(id);
        }
    }
}
