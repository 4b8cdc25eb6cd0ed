using System.Reflection;
using System.Text;

namespace ReplicatedKv.LocalCluster;

/// <summary>
/// What to paste next, printed under the ready table: RKV_ENDPOINTS for this cluster and the rkvctl this build
/// produced (so each command starts at once, without <c>dotnet run</c>'s build check), meant for a second terminal
/// since this one carries the nodes' output; how to stop and start a node here; where the metrics are.
/// </summary>
internal static class CliExamples
{
    private const string CliFolder = "ReplicatedKv.Cli";

    public static string Build(IReadOnlyList<NodeLayout> nodes, string rkvctl)
    {
        var text = new StringBuilder();
        text.AppendLine("rkv-local: in a second terminal (this one shows the nodes' output), point rkvctl at this cluster:")
            .AppendLine($"  export RKV_ENDPOINTS={string.Join(',', nodes.Select(n => n.ClientUrl))}")
            .AppendLine($"  alias rkvctl={ShellQuoted(rkvctl)}")
            .AppendLine("  rkvctl set greeting hello")
            .AppendLine("  rkvctl get greeting")
            .AppendLine("  rkvctl status");
        if (nodes.Count > 1)
        {
            var next = "n" + (nodes.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            text.AppendLine($"rkv-local: to stop and start one node, or grow the cluster, type here (then Enter): {NodeCommands.Summary(nodes[^1].Id)}, 'add-node {next}'");
        }

        text.AppendLine($"rkv-local: Prometheus metrics: {string.Join(", ", nodes.Select(n => n.AdminUrl + "/metrics"))}");
        return text.ToString();
    }

    /// <summary>
    /// The rkvctl to run: the apphost next to the rkvctl.dll this build produced (see the .csproj), else that dll
    /// through dotnet, else <c>dotnet run</c> on the project found beside the server's.
    /// </summary>
    public static string FindRkvctl(string serverDll, string dotnetHost, string currentDirectory)
    {
        var dll = typeof(CliExamples).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RkvctlDll")?.Value;
        if (dll is { Length: > 0 } && File.Exists(dll))
        {
            var apphost = Path.Combine(Path.GetDirectoryName(dll)!, Path.GetFileNameWithoutExtension(dll) + (OperatingSystem.IsWindows() ? ".exe" : ""));
            return File.Exists(apphost) ? apphost : $"{dotnetHost} {dll}";
        }

        return $"dotnet run --project {FindCliProject(serverDll, currentDirectory)} --";
    }

    /// <summary>
    /// The rkvctl project as a path from <paramref name="currentDirectory"/>: a sibling of the server's project, found
    /// by climbing from the server's build output. README's layout (<c>src/ReplicatedKv.Cli</c>) if it is not there.
    /// </summary>
    public static string FindCliProject(string serverDll, string currentDirectory)
    {
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(serverDll)); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, CliFolder);
            if (File.Exists(Path.Combine(candidate, CliFolder + ".csproj")))
            {
                return Path.GetRelativePath(currentDirectory, candidate);
            }
        }

        return Path.Combine("src", CliFolder);
    }

    // Single quotes keep spaces and the like literal in sh, bash and zsh; a command with arguments is one alias value.
    private static string ShellQuoted(string command) => "'" + command.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
