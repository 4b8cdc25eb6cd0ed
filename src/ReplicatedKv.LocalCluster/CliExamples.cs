using System.Text;

namespace ReplicatedKv.LocalCluster;

/// <summary>
/// What to paste next, printed under the ready table: rkvctl commands already pointed at this cluster's endpoints,
/// and where each node's metrics are.
/// </summary>
internal static class CliExamples
{
    private const string CliFolder = "ReplicatedKv.Cli";

    public static string Build(IReadOnlyList<NodeLayout> nodes, string cliProject)
    {
        var rkvctl = $"dotnet run --project {Quoted(cliProject)} -- --endpoints {string.Join(',', nodes.Select(n => n.ClientUrl))}";
        var text = new StringBuilder();
        text.AppendLine("rkv-local: try it with rkvctl (paste into this shell):")
            .AppendLine($"  {rkvctl} set greeting hello")
            .AppendLine($"  {rkvctl} get greeting")
            .AppendLine($"  {rkvctl} status")
            .AppendLine($"rkv-local: Prometheus metrics: {string.Join(", ", nodes.Select(n => n.AdminUrl + "/metrics"))}");
        return text.ToString();
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

    private static string Quoted(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;
}
