namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary><c>tick ID [n]</c>: advances the node core's logical clock n times (default 1).</summary>
    private void Tick(DataDrivenCommand command)
    {
        command.Expect(1, 2);
        var core = Node(command.PositionalInt(0)).RunningCore;
        var times = command.Positional.Count > 1 ? command.PositionalInt(1) : 1;
        for (var i = 0; i < times; i++)
        {
            core.Tick();
        }
    }

    /// <summary><c>tick-heartbeat ID</c>: ticks exactly as often as the node's heartbeat interval.</summary>
    private void TickHeartbeat(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        var node = Node(command.PositionalInt(0));
        for (var i = 0; i < node.Config.Replica.HeartbeatTicks; i++)
        {
            node.RunningCore.Tick();
        }
    }
}
