using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// A client that behaves like the real one: one call at a time, to any node (the last leader it heard of, or a
/// random one), a deadline per attempt, and after a deadline a retry elsewhere with the same request id — or, for a
/// client that sends no request ids, an unknown outcome.
/// </summary>
internal sealed class SimClient(int id, bool usesRequestIds)
{
    public int Id { get; } = id;

    public bool UsesRequestIds { get; } = usesRequestIds;

    public ulong Sequence { get; set; }

    /// <summary>The call in progress, if any.</summary>
    public SimCall? Call { get; set; }

    public int? LeaderHint { get; set; }

    /// <summary>Not before this tick does the client start its next call.</summary>
    public long IdleUntil { get; set; }
}

/// <summary>One client call: what it asks, when it was invoked, and the attempt now waiting at a node.</summary>
internal sealed class SimCall(long invokeTime, string key, History.OperationKind kind, string? value, KvCommand? command)
{
    public long InvokeTime { get; } = invokeTime;

    public string Key { get; } = key;

    public History.OperationKind Kind { get; } = kind;

    public string? Value { get; } = value;

    /// <summary>The write's command (with its request id, if the client uses them); null for a read.</summary>
    public KvCommand? Command { get; } = command;

    /// <summary>The node the current attempt waits at, and the caller number it has there.</summary>
    public int Node { get; set; }

    public long Caller { get; set; }

    /// <summary>The current attempt's deadline, in ticks.</summary>
    public long Deadline { get; set; }

    public int Attempts { get; set; }
}
