using System.Globalization;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>Where node <see cref="Index"/> (0-based, named n1, n2, ...) listens.</summary>
internal sealed record NodeAddress(int Index, string Host, int ClientPort, int PeerPort, int AdminPort)
{
    public string Id => "n" + (Index + 1).ToString(CultureInfo.InvariantCulture);

    public Uri ClientUrl => Url(ClientPort);

    public Uri PeerUrl => Url(PeerPort);

    public Uri AdminUrl => Url(AdminPort);

    private Uri Url(int port) => new(string.Create(CultureInfo.InvariantCulture, $"http://{Host}:{port}"));
}
