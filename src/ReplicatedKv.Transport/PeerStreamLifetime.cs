namespace ReplicatedKv.Transport;

/// <summary>
/// Ends inbound peer streams on shutdown. They never finish by themselves, so without this a graceful stop would
/// wait out its whole timeout; the host closes them only after its client requests have drained.
/// </summary>
public sealed class PeerStreamLifetime : IDisposable
{
    private readonly CancellationTokenSource _closing = new();

    public CancellationToken Closing => _closing.Token;

    public void Close() => _closing.Cancel();

    public void Dispose() => _closing.Dispose();
}
