using System.Globalization;

namespace ReplicatedKv.Chaos.Workload;

/// <summary>
/// Which keys a client touches. Each client mostly uses its own few keys and sometimes one of a few shared ones, so
/// every key sees only a handful of concurrent writers: the checker's search per key stays small, while the shared
/// keys still make clients race each other.
/// </summary>
internal sealed class KeySpace(int clients, int keysPerClient = 3, int sharedKeys = 4, double sharedShare = 0.2)
{
    public IEnumerable<string> AllKeys =>
        Enumerable.Range(0, clients).SelectMany(c => Enumerable.Range(0, keysPerClient).Select(k => Own(c, k)))
            .Concat(Enumerable.Range(0, sharedKeys).Select(Shared));

    public string Pick(int client, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.NextDouble() < sharedShare ? Shared(random.Next(sharedKeys)) : Own(client, random.Next(keysPerClient));
    }

    private static string Own(int client, int key) => string.Create(CultureInfo.InvariantCulture, $"c{client}-k{key}");

    private static string Shared(int key) => string.Create(CultureInfo.InvariantCulture, $"shared-{key}");
}
