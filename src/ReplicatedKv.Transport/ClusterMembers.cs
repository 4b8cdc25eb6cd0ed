using System.Collections.Concurrent;
namespace ReplicatedKv.Transport;

/// <summary>
/// The fixed member list: node names (as operators write them) mapped to the small integer ids the consensus
/// core uses. Ids are positions in the list sorted by name, so every node derives the same mapping from the
/// same <c>--peers</c> value whatever order it was written in.
/// </summary>
public sealed class ClusterMembers
{
    private readonly string[] _names;
    private readonly Uri[] _peerUrls;
    private readonly string?[] _clientUrls;
    private readonly ConcurrentDictionary<int, string> _versions = new();

    private ClusterMembers(string clusterId, string[] names, Uri[] peerUrls, int self)
    {
        ClusterId = clusterId;
        _names = names;
        _peerUrls = peerUrls;
        _clientUrls = new string?[names.Length];
        SelfId = self;
        Ids = Enumerable.Range(1, names.Length).ToArray();
    }

    public string ClusterId { get; }

    /// <summary>This node's numeric id (1-based).</summary>
    public int SelfId { get; }

    public string SelfName => NameOf(SelfId);

    /// <summary>Every member's numeric id, this node included.</summary>
    public IReadOnlyList<int> Ids { get; }

    public int Count => _names.Length;

    /// <summary>
    /// Parses <c>n1=http://host1:7101,n2=http://host2:7101,...</c>. Throws <see cref="FormatException"/> with one
    /// line naming what is wrong.
    /// </summary>
    /// <param name="clusterId">The cluster's id.</param>
    /// <param name="selfName">This node's name; must be listed.</param>
    /// <param name="peers">Every member's peer URL.</param>
    /// <param name="clientUrls">
    /// Optional <c>n1=http://host1:7001,...</c>: the client URLs leader hints name (<c>--member-client-urls</c>).
    /// A member left out gets hints with its name and no URL.
    /// </param>
    public static ClusterMembers Parse(string clusterId, string selfName, string peers, string? clientUrls = null)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var byName = NameUrlList(peers);
        if (byName.Count == 0)
        {
            throw new FormatException("no members listed");
        }

        if (byName.Count > 64)
        {
            throw new FormatException($"{byName.Count} members listed; at most 64 are supported");
        }

        var names = byName.Keys.ToArray();
        var self = Array.IndexOf(names, selfName);
        if (self < 0)
        {
            throw new FormatException($"this node's id '{selfName}' is not among the members ({string.Join(", ", names)})");
        }

        var members = new ClusterMembers(clusterId, names, byName.Values.ToArray(), self + 1);
        foreach (var (name, url) in NameUrlList(clientUrls ?? ""))
        {
            if (!members.TryGetId(name, out var id))
            {
                throw new FormatException($"client URL given for '{name}', which is not among the members ({string.Join(", ", names)})");
            }

            members._clientUrls[id - 1] = url.ToString().TrimEnd('/');
        }

        return members;
    }

    /// <summary>Parses <c>name=url,...</c>, names in order; throws <see cref="FormatException"/> naming the bad part.</summary>
    private static SortedDictionary<string, Uri> NameUrlList(string list)
    {
        var byName = new SortedDictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == part.Length - 1)
            {
                throw new FormatException($"'{part}' is not name=url");
            }

            var name = part[..eq].Trim();
            if (!IsValidName(name))
            {
                throw new FormatException($"node name '{name}' must be 1-64 letters, digits, '-', '_' or '.'");
            }

            if (!Uri.TryCreate(part[(eq + 1)..].Trim(), UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
            {
                throw new FormatException($"node {name}: '{part[(eq + 1)..]}' is not an http(s) URL");
            }

            if (!byName.TryAdd(name, url))
            {
                throw new FormatException($"node {name} is listed twice");
            }
        }

        return byName;
    }

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public string NameOf(int id) => _names[id - 1];

    public Uri PeerUrlOf(int id) => _peerUrls[id - 1];

    public bool TryGetId(string name, out int id)
    {
        var index = Array.IndexOf(_names, name);
        id = index + 1;
        return index >= 0;
    }

    /// <summary>
    /// The client URL configured for a member (<c>--member-client-urls</c>), or null. Never learned from what a
    /// peer sends: a batch could otherwise point every client of the cluster at any address it liked.
    /// </summary>
    public string? ClientUrlOf(int id) => _clientUrls[id - 1];

    /// <summary>The build version a member announced on its peer stream, if it has been heard from (Cluster.Status shows it).</summary>
    public string? VersionOf(int id) => _versions.TryGetValue(id, out var version) ? version : null;

    public void RecordVersion(int id, string version)
    {
        if (!string.IsNullOrEmpty(version))
        {
            _versions[id] = version;
        }
    }
}
