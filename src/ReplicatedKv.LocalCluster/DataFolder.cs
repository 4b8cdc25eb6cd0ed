using System.Globalization;

namespace ReplicatedKv.LocalCluster;

/// <summary>The folder holding one sub-folder per node (n1, n2, ...) and a note of the cluster size that wrote them.</summary>
internal static class DataFolder
{
    private const string SizeFile = "cluster-size";
    // Five from --nodes, and room for a few more grown by add-node.
    private const int MaxNodes = 9;

    /// <summary>
    /// Deletes the node folders n1..n9 and the size note only, never the folder itself: a mistyped --data-dir (say, a
    /// home directory) must not cost anything but the node data this launcher would have written there.
    /// </summary>
    public static IReadOnlyList<string> Clean(string root)
    {
        var deleted = new List<string>();
        foreach (var node in NodeFolders(root).Where(Directory.Exists))
        {
            Directory.Delete(node, recursive: true);
            deleted.Add(node);
        }

        // File.Delete tolerates a missing file but not a missing folder: --clean on a first run has neither.
        if (Directory.Exists(root))
        {
            File.Delete(Path.Combine(root, SizeFile));
        }

        return deleted;
    }

    /// <summary>
    /// Null if the node data may be reused by a cluster of <paramref name="nodes"/>; else why not. Node data written
    /// under another membership is not a valid replica of this cluster (a 5-node quorum's decisions may be missing
    /// from n1..n3), so it is refused rather than quietly mixed.
    /// </summary>
    public static string? CheckSize(string root, int nodes)
    {
        var note = Path.Combine(root, SizeFile);
        if (!File.Exists(note) || !NodeFolders(root).Any(Directory.Exists))
        {
            return null;
        }

        var text = File.ReadAllText(note).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var previous) && previous == nodes
            ? null
            : $"{root} holds the data of a {text}-node cluster, not {nodes}: start with --clean to begin afresh, " +
              $"or choose another --data-dir";
    }

    public static void RecordSize(string root, int nodes) =>
        File.WriteAllText(Path.Combine(root, SizeFile), nodes.ToString(CultureInfo.InvariantCulture) + "\n");

    private static IEnumerable<string> NodeFolders(string root) =>
        Enumerable.Range(1, MaxNodes).Select(i => Path.Combine(root, $"n{i}"));
}
