namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// N connected endpoints of one transport implementation, members 1..N, each with a <see cref="RecordingInbox"/>:
/// what the contract suite runs against.
/// </summary>
public interface IPeerCluster : IAsyncDisposable
{
    int Size { get; }

    string ClusterId { get; }

    /// <summary>The name a member's batches carry as their sender.</summary>
    string NameOf(int id);

    /// <summary>The client URL a member's batches carry.</summary>
    string ClientUrlOf(int id);

    IPeerTransport Transport(int id);

    RecordingInbox Inbox(int id);

    /// <summary>Takes member <paramref name="id"/> down: its inbound side and its transport.</summary>
    Task StopAsync(int id);

    /// <summary>Brings member <paramref name="id"/> back at the same address, with a fresh inbox and transport.</summary>
    Task StartAsync(int id);
}
