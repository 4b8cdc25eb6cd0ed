using ReplicatedKv.NodeCore;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Server.Node;

public sealed partial class KvNode
{
    /// <summary>
    /// Admits a listing. It is a read like any other (same admission limit, same read index for linearizable), and
    /// its page is read on the loop at one applied slot; null when the node is at its request limit.
    /// </summary>
    internal PendingRead? TryAdmitList(ListQuery query, bool linearizable, TimeSpan budget, CancellationToken ended)
    {
        if (!TryAdmit())
        {
            return null;
        }

        var read = new PendingRead(Interlocked.Increment(ref _nextCaller), WatchFor(budget, ended));
        Enqueue(read, new ClientReadInput(read, string.Empty, ReadKind.List, linearizable, query));
        return read;
    }
}
