using System.CommandLine;

namespace ReplicatedKv.Cli;

internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("status", "Show the cluster's members");
        command.SetAction((parsed, ct) => Task.FromResult(Program.OtherError));
        return command;
    }
}
