using System.Collections;
using ReplicatedKv.Server.Hosting;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Storage;

// rkv-server: one node of a ReplicatedKv cluster. Exit codes: 0 clean stop, 1 failure at run time, 2 bad settings.
if (args is ["restore", ..])
{
    return await ReplicatedKv.Server.Restore.RestoreCommand.RunAsync(args[1..], Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
        .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal), Console.Out, Console.Error).ConfigureAwait(false);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Out.Write(SettingsLoader.Usage);
    return 0;
}

if (args.Contains("--version"))
{
    Console.Out.WriteLine("rkv-server " + ReplicatedKv.BuildVersion.Current);
    return 0;
}

ServerSettings settings;
try
{
    var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
        .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
    settings = SettingsLoader.Load(args, environment);
}
catch (InvalidSettingException ex)
{
    await Console.Error.WriteLineAsync("rkv-server: " + ex.Message).ConfigureAwait(false);
    return 2;
}

ServerHost host;
try
{
    host = await ServerHost.StartAsync(settings).ConfigureAwait(false);
}
catch (Exception ex) when (ex is WalCorruptionException or StorageUnavailableException or IOException or UnauthorizedAccessException or InvalidOperationException)
{
    await Console.Error.WriteLineAsync($"rkv-server: cannot start node {settings.NodeId}: {ex.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
    return 1;
}

await using (host.ConfigureAwait(false))
{
    await host.App.WaitForShutdownAsync().ConfigureAwait(false);
}

return Environment.ExitCode;
