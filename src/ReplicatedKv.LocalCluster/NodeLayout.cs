using System.Globalization;

namespace ReplicatedKv.LocalCluster;

/// <summary>A member as the others and clients reach it: what --peers and --member-client-urls list.</summary>
internal sealed record MemberAddress(string Id, string PeerUrl, string ClientUrl);

/// <summary>Where one node of the local cluster listens and keeps its data.</summary>
internal sealed record NodeLayout(string Id, int ClientPort, int PeerPort, int AdminPort, string DataDir)
{
    public string ClientUrl => Url(ClientPort);

    public string PeerUrl => Url(PeerPort);

    public string AdminUrl => Url(AdminPort);

    public MemberAddress Address => new(Id, PeerUrl, ClientUrl);

    /// <summary>Nodes n1..nN: client ports from the base port, peer ports 100 above, admin ports 200 above.</summary>
    public static IReadOnlyList<NodeLayout> Plan(int nodes, int basePort, string dataRoot) =>
        Enumerable.Range(0, nodes)
            .Select(i => new NodeLayout($"n{i + 1}", basePort + i, basePort + 100 + i, basePort + 200 + i, Path.Combine(dataRoot, $"n{i + 1}")))
            .ToArray();

    /// <summary>The same flags a real deployment passes rkv-server, only with loopback addresses.</summary>
    public IReadOnlyList<string> ServerArgs(IReadOnlyList<MemberAddress> cluster) =>
    [
        "--node-id", Id,
        "--client-url", ClientUrl,
        "--peer-url", PeerUrl,
        "--admin-url", AdminUrl,
        "--advertise-client-url", ClientUrl,
        "--peers", string.Join(',', cluster.Select(n => $"{n.Id}={n.PeerUrl}")),
        "--member-client-urls", string.Join(',', cluster.Select(n => $"{n.Id}={n.ClientUrl}")),
        "--data-dir", DataDir,
    ];

    private static string Url(int port) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
}
