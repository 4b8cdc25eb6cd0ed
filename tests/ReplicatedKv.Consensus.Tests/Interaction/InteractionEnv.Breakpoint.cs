namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>_breakpoint</c>: does nothing. Put it in a test file and a breakpoint on the line below to stop the
    /// debugger right there in the story.
    /// </summary>
    private static void Breakpoint(DataDrivenCommand command)
    {
        command.Expect(0, 0);
        _ = command;
    }
}
