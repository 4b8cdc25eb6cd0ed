namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>_breakpoint</c>: does nothing. Write it into a test file where you want to stop, and set a debugger
    /// breakpoint on the statement below: the debugger then halts at that point of the story, with every
    /// earlier command already run.
    /// </summary>
    private static void Breakpoint(DataDrivenCommand command)
    {
        command.Expect(0, 0);
        _ = command; // <- set the debugger breakpoint here
    }
}
