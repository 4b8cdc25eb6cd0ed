using ReplicatedKv.LocalCluster;

// rkv-local: a local ReplicatedKv cluster in one command. Exit codes: 0 stopped on request, 1 the cluster could not
// start or every node died, 2 bad flags.
PosixSignals.UnignoreInterrupt();
LauncherOptions options;
try
{
    options = LauncherOptions.Parse(args);
}
catch (FormatException ex)
{
    await Console.Error.WriteLineAsync($"rkv-local: {ex.Message} (see --help)").ConfigureAwait(false);
    return 2;
}

if (options.Help)
{
    Console.Out.Write(LauncherOptions.Usage);
    return 0;
}

var server = ServerLocation.Find(out var problem);
if (server is null)
{
    await Console.Error.WriteLineAsync("rkv-local: " + problem).ConfigureAwait(false);
    return 1;
}

// Registered before any node starts, so a Ctrl-C during start-up also stops whatever has started.
using var signals = new StopSignals();
var console = new ConsoleOutput(prefixWidth: options.Nodes.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + 1);
return await new ClusterSupervisor(options, server, console, signals).RunAsync().ConfigureAwait(false);
