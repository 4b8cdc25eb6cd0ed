namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Optional operations (unknown outcomes no read saw) grouped by effect: within a group they differ only in invoke
/// time. Once two of them may take effect (invoked before the boundary, which only moves later along a search
/// path) either can stand in for the other, so the search only ever uses the earliest unused one of a group; the
/// used ones of a group are then always a prefix of it, and orders that differ only in which twin they used are
/// never explored twice.
/// </summary>
internal sealed class InterchangeableUnknowns
{
    private readonly int _requiredCount;
    private readonly int[] _groupOf;
    private readonly int[][] _members;
    private readonly int[] _used;
    private readonly Dictionary<ModelOperation, int> _groupByEffect = [];

    public InterchangeableUnknowns(CompiledKey key)
    {
        _requiredCount = key.RequiredCount;
        _groupOf = new int[key.OptionalCount];
        var members = new List<List<int>>();
        for (var optional = 0; optional < key.OptionalCount; optional++)
        {
            var operation = key.RequiredCount + optional;
            if (!_groupByEffect.TryGetValue(key.Operations[operation], out var group))
            {
                group = members.Count;
                _groupByEffect.Add(key.Operations[operation], group);
                members.Add([]);
            }

            _groupOf[optional] = group;
            members[group].Add(operation);
        }

        _members = [.. members.Select(m => m.ToArray())];
        _used = new int[_members.Length];
    }

    /// <summary>Whether this is the earliest unused operation of its group (so also not used yet).</summary>
    public bool IsNextOfItsGroup(int operation)
    {
        var group = _groupOf[operation - _requiredCount];
        return _used[group] < _members[group].Length && _members[group][_used[group]] == operation;
    }

    /// <summary>The earliest unused operation with this effect, or -1.</summary>
    public int NextWithEffect(in ModelOperation effect) =>
        _groupByEffect.TryGetValue(effect, out var group) && _used[group] < _members[group].Length ? _members[group][_used[group]] : -1;

    public void Use(int operation) => _used[_groupOf[operation - _requiredCount]]++;

    public void Unuse(int operation) => _used[_groupOf[operation - _requiredCount]]--;
}
