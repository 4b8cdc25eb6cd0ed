using System.Security.Cryptography;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Server.Node;

// This data directory's incarnation (Consensus DESIGN.md, "Incarnations"): the id that lets peers refuse, by id and
// not by age, the promises and answers of a former self that lost its disk. Not the per-process `_incarnation` of
// the write path, which only tells this process's callers from a previous run's.
public sealed partial class KvNode
{
    /// <summary>
    /// Draws and persists (fsynced) a new incarnation id when this directory's state begins a new life: it was empty,
    /// storage lost durable records (<see cref="LostStatePolicy.Rejoin"/>), or the replica is still rejoining (a crash
    /// between the loss repair and this write must not leave the post-loss life under the pre-loss id; a learner
    /// has no vote that the id protects, so a fresh one costs only a new fence challenge). A restart with the state
    /// of a voter keeps its id; state written before incarnations existed keeps id 0 (the original incarnation).
    /// Runs before the replica is built, so nothing leaves under the old id. Returns whether it drew one.
    /// </summary>
    internal static bool StartNewIncarnationIfNeeded(NodeStorage storage)
    {
        var state = storage.State;
        var empty = state.HardState == default && state.Entries.Count == 0 && state.SnapshotSlot == 0;
        if (!empty && storage.LostState is null && !state.HardState.Rejoining)
        {
            return false;
        }

        storage.StartIncarnation(DrawIncarnationId());
        return true;
    }

    /// <summary>A random non-zero 64-bit id: two lives of one member must not share one, by chance or by a bad clock.</summary>
    private static ulong DrawIncarnationId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToUInt64(bytes);
        }
        while (id == 0);
        return id;
    }

    /// <summary>This data directory's incarnation id as the logs and status show it.</summary>
    internal string IncarnationHex => _core.Replica.Incarnation.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
