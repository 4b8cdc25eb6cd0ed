using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Scenarios;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>What a finished run must not leave behind, pass or fail: node processes and network namespaces.</summary>
internal static class Leftovers
{
    public static async Task<IReadOnlyList<string>> OfAsync(RunReport report)
    {
        var left = new List<string>();

        // Every node was started with its data directory inside the run's artifacts folder.
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains(report.ArtifactsPath, StringComparison.Ordinal))
            {
                left.Add($"process {Path.GetFileName(proc)}: {commandLine}");
            }
        }

        if (report.RunPrefix is { } prefix && Environment.IsPrivilegedProcess)
        {
            var namespaces = await Shell.RunAsync("ip", ["netns", "list"]);
            left.AddRange(namespaces.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ')[0])
                .Where(name => RunSlot.NamespaceName().Match(name) is { Success: true } match && "rkvc" + match.Groups[1].Value == prefix)
                .Select(name => "namespace " + name));
        }

        return left;
    }
}
