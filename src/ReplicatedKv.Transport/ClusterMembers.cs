using System.Collections.Concurrent;
namespace ReplicatedKv.Transport;

/// <summary>
/// The host's view of the configuration in force: node names (as operators write them) mapped to the numeric ids the
/// consensus core uses, with each member's peer and client URLs. A brand-new cluster's ids are positions in the
/// <c>--peers</c> list sorted by name (<see cref="Parse"/>), so every node derives the same mapping whatever order it
/// was written in; members added later get ids from the configuration that added them. The node loop replaces the
/// view (<see cref="Update"/>) when the core decides a new configuration; readers on other threads (the peer
/// authenticators, the links, Status) always see one whole immutable table.
/// </summary>
public sealed class ClusterMembers
{
    private readonly ConcurrentDictionary<int, string> _versions = new();

    // Members that left the view, kept so logs and late reports can still name them (ids are never reused).
    private readonly ConcurrentDictionary<int, MemberInfo> _former = new();
    private volatile Table _table;

    /// <param name="clusterId">The cluster's id.</param>
    /// <param name="selfId">This node's numeric id; must be among <paramref name="members"/>.</param>
    /// <param name="members">The members in force, this node included.</param>
    public ClusterMembers(string clusterId, int selfId, IEnumerable<MemberInfo> members)
    {
        ArgumentNullException.ThrowIfNull(clusterId);
        ClusterId = clusterId;
        var table = new Table(members);
        if (!table.ById.TryGetValue(selfId, out var self))
        {
            throw new ArgumentException($"this node's id {selfId} is not among the members", nameof(selfId));
        }

        SelfId = selfId;
        SelfName = self.Name;
        _table = table;
    }

    public string ClusterId { get; }

    /// <summary>This node's numeric id.</summary>
    public int SelfId { get; }

    public string SelfName { get; }

    /// <summary>Every member's numeric id in the current view, in order, this node included (unless it was removed).</summary>
    public IReadOnlyList<int> Ids => _table.Ids;

    /// <summary>The members of the current view, in id order.</summary>
    public IReadOnlyList<MemberInfo> Members => _table.Members;

    public int Count => _table.Members.Count;

    /// <summary>The highest member id known to have been used (removed members included); the host keeps it current.</summary>
    public int HighestId
    {
        get => Volatile.Read(ref _highestId);
        set => Volatile.Write(ref _highestId, value);
    }

    private int _highestId;

    /// <summary>Raised (on the thread that called <see cref="Update"/>) after the view changed.</summary>
    public event Action<ClusterMembers>? Changed;

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
        var members = ParseList(peers, clientUrls);
        var self = members.FirstOrDefault(m => m.Name == selfName)
            ?? throw new FormatException($"this node's id '{selfName}' is not among the members ({string.Join(", ", members.Select(m => m.Name))})");
        return new ClusterMembers(clusterId, self.Id, members);
    }

    /// <summary>
    /// The members <c>--peers</c> (and <c>--member-client-urls</c>) list, with the ids a brand-new cluster gives them:
    /// 1..n in name order. Throws <see cref="FormatException"/> naming what is wrong.
    /// </summary>
    public static IReadOnlyList<MemberInfo> ParseList(string peers, string? clientUrls = null)
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

        var clients = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, url) in NameUrlList(clientUrls ?? ""))
        {
            if (!byName.ContainsKey(name))
            {
                throw new FormatException($"client URL given for '{name}', which is not among the members ({string.Join(", ", byName.Keys)})");
            }

            clients[name] = MemberPayload.Trim(url);
        }

        return [.. byName.Select((pair, index) => new MemberInfo(index + 1, pair.Key, pair.Value, clients.GetValueOrDefault(pair.Key)))];
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

            if (!TryParseUrl(part[(eq + 1)..].Trim(), out var url))
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

    /// <summary>An absolute http or https URL.</summary>
    public static bool TryParseUrl(string text, out Uri url) =>
        Uri.TryCreate(text, UriKind.Absolute, out url!) && (url.Scheme == "http" || url.Scheme == "https");

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>
    /// Replaces the view with <paramref name="members"/> (called by the node loop when the configuration changes);
    /// false when nothing changed. Members that leave are remembered by id, so they can still be named.
    /// </summary>
    public bool Update(IEnumerable<MemberInfo> members)
    {
        var next = new Table(members);
        var current = _table;
        if (next.Members.SequenceEqual(current.Members))
        {
            return false;
        }

        foreach (var member in current.Members)
        {
            if (!next.ById.ContainsKey(member.Id))
            {
                _former[member.Id] = member;
            }
        }

        _table = next;
        Changed?.Invoke(this);
        return true;
    }

    /// <summary>True when <paramref name="id"/> is a member of the current view.</summary>
    public bool Contains(int id) => _table.ById.ContainsKey(id);

    /// <summary>The member with <paramref name="id"/> in the current view, or one that was in it before; null if never known.</summary>
    public MemberInfo? Find(int id) => _table.ById.TryGetValue(id, out var member) ? member : _former.GetValueOrDefault(id);

    /// <summary>A member's name; a former member's too, and <c>#id</c> for an id never known here.</summary>
    public string NameOf(int id) => Find(id)?.Name ?? $"#{id}";

    public Uri PeerUrlOf(int id) => Find(id)?.PeerUrl ?? throw new ArgumentOutOfRangeException(nameof(id), id, "not a member");

    /// <summary>The current member named <paramref name="name"/>.</summary>
    public bool TryGetId(string name, out int id) => _table.ByName.TryGetValue(name, out id);

    /// <summary>
    /// The client URL of a member, from configuration (<c>--member-client-urls</c>, or the URL the member was added
    /// with), or null. Never learned from what a peer sends: a batch could otherwise point every client of the
    /// cluster at any address it liked.
    /// </summary>
    public string? ClientUrlOf(int id) => Find(id)?.ClientUrl;

    /// <summary>The build version a member announced on its peer stream, if it has been heard from (Cluster.Status shows it).</summary>
    public string? VersionOf(int id) => _versions.TryGetValue(id, out var version) ? version : null;

    public void RecordVersion(int id, string version)
    {
        if (!string.IsNullOrEmpty(version))
        {
            _versions[id] = version;
        }
    }

    /// <summary>One immutable view: the members in id order, indexed by id and by name.</summary>
    private sealed class Table
    {
        public Table(IEnumerable<MemberInfo> members)
        {
            ArgumentNullException.ThrowIfNull(members);
            Members = [.. members.OrderBy(m => m.Id)];
            ById = [];
            ByName = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var member in Members)
            {
                if (!ById.TryAdd(member.Id, member) || !ByName.TryAdd(member.Name, member.Id))
                {
                    throw new ArgumentException($"member {member.Name} (id {member.Id}) is listed twice", nameof(members));
                }
            }

            Ids = [.. Members.Select(m => m.Id)];
        }

        public IReadOnlyList<MemberInfo> Members { get; }

        public IReadOnlyList<int> Ids { get; }

        public Dictionary<int, MemberInfo> ById { get; }

        public Dictionary<string, int> ByName { get; }
    }
}
