using System.Globalization;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>
/// One run's folder: <c>{root}/{utc time}-{scenario}-{seed}/</c> with history.jsonl, schedule.txt, summary.txt and
/// nodes/n*/ (data directory and node.log). A run that passed keeps only the summary and the schedule.
/// </summary>
internal sealed class ArtifactFolder
{
    private ArtifactFolder(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public string HistoryPath => System.IO.Path.Combine(Path, "history.jsonl");

    public string SchedulePath => System.IO.Path.Combine(Path, "schedule.txt");

    public string SummaryPath => System.IO.Path.Combine(Path, "summary.txt");

    public string NodesPath => System.IO.Path.Combine(Path, "nodes");

    public static ArtifactFolder Create(RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var name = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{options.Scenario.Name()}-{options.Seed}");
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(options.ArtifactsRoot, name));
        for (var n = 2; Directory.Exists(path); n++)
        {
            path = System.IO.Path.GetFullPath(System.IO.Path.Combine(options.ArtifactsRoot, $"{name}-{n}"));
        }

        Directory.CreateDirectory(path);
        return new ArtifactFolder(path);
    }

    /// <summary>After a pass: the bulky parts go, the summary and the schedule stay.</summary>
    public void KeepOnlySummary()
    {
        if (Directory.Exists(NodesPath))
        {
            Directory.Delete(NodesPath, recursive: true);
        }

        File.Delete(HistoryPath);
    }
}
