using Grpc.Net.Client;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// A running system the closed loop drives: a ReplicatedKv cluster, the ceiling host or an etcd cluster. Every
/// target is separate processes on loopback, so each pays the same process, syscall and HTTP/2 costs.
/// </summary>
internal abstract class LoadTarget : IAsyncDisposable
{
    /// <summary>replicatedkv, ceiling or etcd.</summary>
    public abstract string Store { get; }

    /// <summary>Members (1 for the ceiling).</summary>
    public abstract int Members { get; }

    /// <summary>Each member's client URL; connections go round-robin over them.</summary>
    public abstract IReadOnlyList<string> ClientUrls { get; }

    /// <summary>Each member's process id, for its resident memory.</summary>
    public abstract IReadOnlyList<int> Pids { get; }

    public string Label => Members > 1 || Store != "ceiling" ? $"{Store}-{Members}" : Store;

    /// <summary>The calls of one client connection.</summary>
    public abstract KvCalls Connect(GrpcChannel channel, KeySet keys);

    public abstract ValueTask DisposeAsync();
}

/// <summary>One connection's view of a store: set and get by key number, within a deadline.</summary>
internal abstract class KvCalls
{
    public abstract Task SetAsync(int key, string clientId, ulong sequence, DateTime deadline);

    public abstract Task GetAsync(int key, bool linearizable, DateTime deadline);
}

/// <summary>The keys (8 bytes: "k" and 7 digits) and the one value (incompressible) every target is loaded with.</summary>
internal sealed class KeySet
{
    public KeySet(int count, int valueBytes)
    {
        Strings = Enumerable.Range(0, count).Select(i => "k" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Bytes = Strings.Select(Google.Protobuf.ByteString.CopyFromUtf8).ToArray();
        Value = Google.Protobuf.ByteString.CopyFrom(BenchmarkFiles.Payload(valueBytes, seed: 256));
    }

    public IReadOnlyList<string> Strings { get; }

    public IReadOnlyList<Google.Protobuf.ByteString> Bytes { get; }

    public Google.Protobuf.ByteString Value { get; }

    public int Count => Strings.Count;
}
