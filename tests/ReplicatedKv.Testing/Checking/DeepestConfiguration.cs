namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// The deepest configuration the search reached (most required operations linearized), kept to explain a failure
/// the way Porcupine's partial linearizations do: how far an order got and what could not follow it.
/// </summary>
/// <remarks>
/// Copying the whole stack at every new depth would cost O(n²). The stack only changes at its top, so the copy is
/// refreshed from the lowest position that changed since the last copy, and only when the search turns back.
/// </remarks>
internal sealed class DeepestConfiguration(CompiledKey key)
{
    private readonly int[] _prefix = new int[key.Operations.Length];
    private int _length;
    private int _stillValid;
    private int _requiredLinearized;
    private bool _pending = true;
    private KeyState _state;

    /// <summary>Called after each required lift; a new record is copied when the search next turns back.</summary>
    public void Reached(int requiredLinearized)
    {
        if (requiredLinearized > _requiredLinearized)
        {
            _requiredLinearized = requiredLinearized;
            _pending = true;
        }
    }

    public void Popped(int depth) => _stillValid = Math.Min(_stillValid, depth);

    public void RememberIfNew(ReadOnlySpan<SearchFrame> stack, in KeyState state)
    {
        if (!_pending)
        {
            return;
        }

        for (var i = _stillValid; i < stack.Length; i++)
        {
            _prefix[i] = stack[i].Operation;
        }

        _length = _stillValid = stack.Length;
        _state = state;
        _pending = false;
    }

    public SearchFailure Describe()
    {
        var prefix = _prefix.AsSpan(0, _length).ToArray();
        var inPrefix = new bool[key.Operations.Length];
        foreach (var operation in prefix)
        {
            inPrefix[operation] = true;
        }

        // The operation that had to come next: the earliest return among required operations not in the prefix.
        var stuck = -1;
        for (var operation = 0; operation < key.RequiredCount; operation++)
        {
            if (!inPrefix[operation] && (stuck < 0 || key.ReturnNanos[operation] < key.ReturnNanos[stuck]))
            {
                stuck = operation;
            }
        }

        var concurrent = new List<int>();
        for (var operation = 0; operation < key.Operations.Length; operation++)
        {
            if (!inPrefix[operation] && operation != stuck && key.InvokeNanos[operation] <= key.ReturnNanos[stuck])
            {
                concurrent.Add(operation);
            }
        }

        return new SearchFailure(prefix, _state, stuck, concurrent, _requiredLinearized);
    }
}
