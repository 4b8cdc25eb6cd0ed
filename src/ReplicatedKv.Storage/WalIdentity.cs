using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ReplicatedKv.Storage;

/// <summary>
/// Whose log this is: hashes of the cluster id and the node id, written into every segment header so that a
/// segment copied from another node or cluster is recognised at start instead of being replayed as this node's
/// promises. <see cref="Unknown"/> (both zero) checks nothing: tests and tools that open a bare log.
/// </summary>
public readonly record struct WalIdentity(ulong Cluster, ulong Node)
{
    public static WalIdentity Unknown => default;

    public bool IsKnown => Cluster != 0 || Node != 0;

    public static WalIdentity Of(string clusterId, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(clusterId);
        ArgumentNullException.ThrowIfNull(nodeId);
        return new WalIdentity(Hash(clusterId), Hash(nodeId));
    }

    /// <summary>True unless both sides are known and differ: a header written without an identity matches anyone.</summary>
    public bool Matches(WalIdentity other) => !IsKnown || !other.IsKnown || this == other;

    // Never 0, so a known identity never reads as Unknown.
    private static ulong Hash(string text) => Math.Max(1, BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
}
