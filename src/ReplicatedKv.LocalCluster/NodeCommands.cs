namespace ReplicatedKv.LocalCluster;

/// <summary>
/// Small commands typed into the launcher's terminal while the cluster runs: stop, kill and start one node, so
/// "stop a node and watch the others go on, then watch it catch up" needs no restart of the whole cluster; and
/// add-node, which grows the running cluster by a new member.
/// Standard input that is closed (a script, CI) simply ends the reading; it never stops the cluster.
/// </summary>
internal sealed class NodeCommands(ClusterSupervisor supervisor, ConsoleOutput console)
{
    public const string Help = "stop NODE (SIGTERM), kill NODE (SIGKILL, a crash), start NODE, add-node NODE [--learner] (a new member), nodes (list them), help";

    public static string Summary(string exampleNode) => $"'stop {exampleNode}', 'kill {exampleNode}', 'start {exampleNode}', 'nodes', 'help'";

    public async Task ReadAsync(TextReader input, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (line is null)
                {
                    return;
                }

                await RunAsync(line).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The cluster is stopping.
        }
        catch (IOException)
        {
            // No usable standard input: nothing to read commands from.
        }
    }

    public async Task RunAsync(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return;
        }

        switch (words[0].ToLowerInvariant(), words.Length)
        {
            case ("help" or "?", 1):
                console.Say("commands: " + Help);
                break;
            case ("nodes" or "ps", 1):
                console.Say(supervisor.DescribeNodes());
                break;
            case ("stop", 2):
                await supervisor.StopNodeAsync(words[1], kill: false).ConfigureAwait(false);
                break;
            case ("kill", 2):
                await supervisor.StopNodeAsync(words[1], kill: true).ConfigureAwait(false);
                break;
            case ("start", 2):
                supervisor.StartNode(words[1]);
                break;
            case ("add-node", 2):
                await supervisor.AddNodeAsync(words[1], learner: false).ConfigureAwait(false);
                break;
            case ("add-node", 3) when words[2] == "--learner":
                await supervisor.AddNodeAsync(words[1], learner: true).ConfigureAwait(false);
                break;
            default:
                console.Warn($"unknown command '{line.Trim()}'; commands: {Help}");
                break;
        }
    }
}
