namespace ReplicatedKv.Server.Node;

// Fault injection for tests: cut this node off from chosen peers in both directions, as a partition would,
// while both sides keep running. Only messages are dropped; connections stay up.
public sealed partial class KvNode
{
    private volatile bool[] _cutOff = [];

    /// <summary>Drops every message to and from the named members until <see cref="Heal"/>.</summary>
    internal void CutOff(params string[] peers)
    {
        var cut = new bool[_members.Count + 1];
        foreach (var name in peers)
        {
            if (_members.TryGetId(name, out var id))
            {
                cut[id] = true;
            }
        }

        _cutOff = cut;
    }

    internal void Heal() => _cutOff = [];

    private bool IsCutOff(int peer)
    {
        var cut = _cutOff;
        return peer < cut.Length && cut[peer];
    }
}
