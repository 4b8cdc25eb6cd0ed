using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    // Caller numbers are unique across the whole run, so an answer line names exactly one request.
    private long _nextCaller;

    /// <summary>
    /// <c>propose ID KEY...</c>: one client write per KEY (setting it to the empty value) submitted to the node core,
    /// each under its own caller number. The core routes them at its next Ready: proposed together in one Propose on
    /// the leader, forwarded to the leader it knows from a follower, parked while it knows none. The answer comes
    /// once this node applied the write's slot.
    /// </summary>
    private void Propose(DataDrivenCommand command)
    {
        command.Expect(2, int.MaxValue);
        var core = Node(command.PositionalInt(0)).RunningCore;
        foreach (var key in command.Positional.Skip(1))
        {
            var caller = ++_nextCaller;
            core.SubmitWrite(caller, KvCommand.Set(key, ReadOnlyMemory<byte>.Empty));
            Write($"caller {caller}: write {key}");
        }
    }
}
