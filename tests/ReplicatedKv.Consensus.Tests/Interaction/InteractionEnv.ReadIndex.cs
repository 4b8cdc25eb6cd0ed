using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>read-index ID KEY</c>: a linearizable read of KEY submitted to the node core. At its next Ready the core asks
    /// for a read index (every read taken since its last Ready shares one): the leader's replica directly, a
    /// follower's leader with a ReadIndexRequest. The answer comes once the node applied through the index.
    /// </summary>
    private void ReadIndex(DataDrivenCommand command)
    {
        command.Expect(2, 2);
        var core = Node(command.PositionalInt(0)).RunningCore;
        var key = command.Positional[1];
        var caller = ++_nextCaller;
        core.SubmitRead(caller, key, ReadKind.Get, linearizable: true);
        Write($"caller {caller}: read {key}");
    }
}
