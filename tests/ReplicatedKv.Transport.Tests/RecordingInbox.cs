using System.Collections.Concurrent;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport.Tests;

/// <summary>An <see cref="IPeerInbox"/> that keeps everything it is handed, for tests to wait on and inspect.</summary>
public sealed class RecordingInbox : IPeerInbox
{
    private readonly ConcurrentQueue<Received> _messages = new();
    private readonly ConcurrentQueue<ReceivedSnapshot> _snapshots = new();
    private readonly ConcurrentQueue<string> _refusals = new();

    /// <summary>Every message delivered so far, in arrival order.</summary>
    public IReadOnlyList<Received> Messages => [.. _messages];

    /// <summary>Every snapshot installed so far.</summary>
    public IReadOnlyList<ReceivedSnapshot> Snapshots => [.. _snapshots];

    /// <summary>The reasons of every refusal the peer service reported, in order.</summary>
    public IReadOnlyList<string> Refusals => [.. _refusals];

    /// <summary>If set, every snapshot is refused by throwing this.</summary>
    public Exception? SnapshotRefusal { get; set; }

    /// <summary>Called on every delivery, before the messages are recorded.</summary>
    public Action<int, Wire.PeerBatch>? OnDeliver { get; set; }

    public void Deliver(int from, Wire.PeerBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        OnDeliver?.Invoke(from, batch);
        foreach (var message in batch.Messages)
        {
            _messages.Enqueue(new Received(from, batch.From, batch.ClusterId, batch.FromClientUrl, message));
        }
    }

    public async Task InstallSnapshotAsync(int from, long slot, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (SnapshotRefusal is { } refusal)
        {
            throw refusal;
        }

        var received = new List<byte[]>();
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            received.Add(chunk.ToArray());
        }

        _snapshots.Enqueue(new ReceivedSnapshot(from, slot, received));
    }

    public void Refused(string reason) => _refusals.Enqueue(reason);

    /// <summary>The read ids (see <see cref="Probe"/>) of the messages from <paramref name="from"/>, in arrival order.</summary>
    public long[] IdsFrom(int from) => [.. Messages.Where(m => m.From == from).Select(m => m.Message.ReadIndexRequest.ReadId)];

    public bool HasId(long id) => Messages.Any(m => m.Message.ReadIndexRequest?.ReadId == id);

    /// <summary>A small message that carries <paramref name="id"/>, to tell messages apart.</summary>
    public static Wire.PeerMessage Probe(long id) => new() { ReadIndexRequest = new Wire.ReadIndexRequest { ReadId = id } };

    public sealed record Received(int From, string BatchFrom, string ClusterId, string FromClientUrl, Wire.PeerMessage Message);

    public sealed record ReceivedSnapshot(int From, long Slot, IReadOnlyList<byte[]> Chunks);
}
