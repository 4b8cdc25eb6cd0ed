using System.CommandLine;

namespace ReplicatedKv.Cli;

internal static class HealthCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("health", "Check grpc.health.v1");
        command.SetAction((parsed, ct) => Task.FromResult(Program.OtherError));
        return command;
    }
}
