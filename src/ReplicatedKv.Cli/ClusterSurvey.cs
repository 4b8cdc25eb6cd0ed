using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>
/// Every member's own status, as etcdctl's <c>--cluster</c> finds them: the first endpoint that answers names the
/// members and their client URLs, and each member is then asked for itself (at its peer host on the answering
/// endpoint's port when its client URL does not answer, as inside a compose network). A member that does not answer
/// keeps the row the answering node's view gives it, with the error.
/// </summary>
internal static class ClusterSurvey
{
    public static async Task<IReadOnlyList<MemberRow>> RunAsync(KvClient client, IReadOnlyList<Uri> endpoints, TimeSpan timeout, bool includeStateHash,
        CancellationToken ct)
    {
        var errors = new List<string>();
        StatusResponse? first = null;
        Uri? firstEndpoint = null;
        foreach (var endpoint in endpoints)
        {
            try
            {
                first = await client.StatusAsync(endpoint, includeStateHash, timeout, ct);
                firstEndpoint = endpoint;
                break;
            }
            catch (KvException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (first is null || firstEndpoint is null)
        {
            throw new ClusterUnavailableException($"no endpoint answered: {string.Join("; ", errors)}");
        }

        // Members by their client URL; a member whose URL the answering node does not know is looked for among the
        // endpoints given, which are asked too.
        var targets = first.Peers.Where(p => p.ClientUrl.Length > 0 && Uri.TryCreate(p.ClientUrl, UriKind.Absolute, out _))
            .Select(p => new Uri(p.ClientUrl))
            .Concat(endpoints)
            .Where(url => !SameUrl(url, firstEndpoint))
            .DistinctBy(Urls.Show, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var answers = await Task.WhenAll(targets.Select(async url =>
        {
            try
            {
                return (Url: url, Status: await client.StatusAsync(url, includeStateHash, timeout, ct), Error: (string?)null);
            }
            catch (KvException ex)
            {
                return (Url: url, Status: (StatusResponse?)null, Error: ex.Message);
            }
        }));

        var byId = new Dictionary<string, (StatusResponse Status, Uri Url)>(StringComparer.Ordinal) { [first.NodeId] = (first, firstEndpoint) };
        foreach (var answer in answers)
        {
            if (answer.Status is { } status)
            {
                byId.TryAdd(status.NodeId, (status, answer.Url));
            }
        }

        // Members whose advertised client URL did not answer (inside a container it names the host's published
        // port): try their peer host on the client port that reached the first node, as in a compose network.
        var tried = targets.Append(firstEndpoint).Select(Urls.Show).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var retries = first.Peers.Where(p => !byId.ContainsKey(p.NodeId))
            .Select(p => PeerHostFallback(p.PeerUrl, firstEndpoint))
            .OfType<Uri>()
            .Where(url => tried.Add(Urls.Show(url)))
            .ToList();
        var fallbacks = await Task.WhenAll(retries.Select(async url =>
        {
            try
            {
                return (Url: url, Status: (StatusResponse?)await client.StatusAsync(url, includeStateHash, timeout, ct));
            }
            catch (KvException)
            {
                return (Url: url, Status: null);
            }
        }));
        foreach (var (url, status) in fallbacks)
        {
            if (status is not null)
            {
                byId.TryAdd(status.NodeId, (status, url));
            }
        }

        var leader = byId.Values.Select(v => v.Status).FirstOrDefault(s => s.Role == NodeRole.Leader);
        var rows = new List<MemberRow>();
        foreach (var (status, url) in byId.Values)
        {
            long? lag = leader is null ? null
                : status.NodeId == leader.NodeId ? 0
                : leader.Peers.FirstOrDefault(p => p.NodeId == status.NodeId)?.Lag is >= 0 and var known ? known : null;
            rows.Add(MemberRow.Self(status, status.ClientUrl.Length > 0 ? Urls.Show(status.ClientUrl) : Urls.Show(url), lag));
        }

        // Members that did not answer: what the first node knows of them, and why they did not answer.
        foreach (var peer in first.Peers.Where(p => !byId.ContainsKey(p.NodeId)))
        {
            var error = answers.FirstOrDefault(a => a.Status is null && SameUrl(a.Url, peer.ClientUrl)).Error ?? "client URL unknown (see --member-client-urls)";
            rows.Add(MemberRow.Absent(peer, leaderId: first.LeaderId, error));
        }

        // Endpoints given that are no member the cluster names (a typo, another cluster) and did not answer.
        foreach (var answer in answers.Where(a => a.Status is null && !first.Peers.Any(p => SameUrl(a.Url, p.ClientUrl))))
        {
            rows.Add(MemberRow.Unknown(answer.Url, answer.Error ?? ""));
        }

        return [.. rows.OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>The member's peer host with the scheme and port of the endpoint that answered; null if that is no URL.</summary>
    internal static Uri? PeerHostFallback(string peerUrl, Uri answered) =>
        Uri.TryCreate(peerUrl, UriKind.Absolute, out var peer) && peer.Host.Length > 0
            ? new UriBuilder(answered.Scheme, peer.Host, answered.Port).Uri
            : null;

    private static bool SameUrl(Uri url, string other) => Uri.TryCreate(other, UriKind.Absolute, out var parsed) && SameUrl(url, parsed);

    private static bool SameUrl(Uri url, Uri other) =>
        Uri.Compare(url, other, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
}

/// <summary>URLs as people write them: no trailing slash.</summary>
internal static class Urls
{
    public static string Show(Uri url) => url.ToString().TrimEnd('/');

    public static string Show(string url) => url.TrimEnd('/');
}
