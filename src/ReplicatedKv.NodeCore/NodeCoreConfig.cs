using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore;

/// <summary>Everything a node core is told at construction. Like the replica's, every duration is in ticks.</summary>
public sealed record NodeCoreConfig
{
    /// <summary>The consensus replica's configuration; its node id and members are the node's.</summary>
    public required ReplicaConfig Replica { get; init; }

    /// <summary>
    /// Random per process start, chosen by the host. Written into every command this node proposes, so an answer
    /// meant for an earlier run of this node (a slot decided after a restart) can never reach a caller of this one.
    /// </summary>
    public required uint Incarnation { get; init; }

    /// <summary>
    /// Ticks a forwarded write (with a request id) or a read-index request waits for its answer before it is sent
    /// again: the peer link or the leader may have lost it. Default: two election timeouts.
    /// </summary>
    public int RetryTicks { get; init; }

    /// <summary>
    /// Key and value limits the leader enforces on forwarded writes, as the client API does on client writes. The
    /// host gives its own (max-key-bytes, max-value-bytes), which keep every command within one log record.
    /// </summary>
    public CommandLimits CommandLimits { get; init; } = CommandLimits.Default;

    /// <summary>Most linearizable-read batches that may wait for a read index before the core forgets abandoned ones.</summary>
    public int MaxReadBatches { get; init; } = 1024;

#if RKV_FAULT_INJECTION
    /// <summary>Deliberate routing bugs, compiled only into test builds, to prove the simulator's checks can fail.</summary>
    public NodeFaults Faults { get; init; }
#endif

    internal int EffectiveRetryTicks => RetryTicks > 0 ? RetryTicks : 2 * Replica.ElectionTicks;
}

#if RKV_FAULT_INJECTION
/// <summary>
/// Deliberate routing bugs. They exist only so tests can show that the simulator's linearizability check catches a
/// broken node; they are compiled only where <c>RKV_FAULT_INJECTION</c> is defined, which Release builds never are.
/// </summary>
/// <param name="FollowerReadsWithoutIndex">A follower serves linearizable reads from its own table at once.</param>
/// <param name="ReproposeMaybeDecided">A write without a request id is proposed again although it may already sit in a slot.</param>
public readonly record struct NodeFaults(bool FollowerReadsWithoutIndex = false, bool ReproposeMaybeDecided = false);
#endif
