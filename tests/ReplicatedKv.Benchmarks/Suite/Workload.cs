namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>One column of the matrix: what each closed-loop client does in turn.</summary>
internal enum Workload
{
    /// <summary>Sets of 256-byte values.</summary>
    Set,

    /// <summary>Linearizable gets (ReplicatedKv: read index through the leader; etcd: its default Range).</summary>
    Get,

    /// <summary>Serializable gets: the contacted member's applied state.</summary>
    SerializableGet,

    /// <summary>90% linearizable gets, 10% sets.</summary>
    Mixed,
}

internal static class WorkloadNames
{
    public static string Name(this Workload workload) => workload switch
    {
        Workload.Set => "set",
        Workload.Get => "get",
        Workload.SerializableGet => "sget",
        Workload.Mixed => "mixed",
        _ => throw new ArgumentOutOfRangeException(nameof(workload)),
    };

    public static Workload Parse(string name) => name switch
    {
        "set" => Workload.Set,
        "get" => Workload.Get,
        "sget" => Workload.SerializableGet,
        "mixed" => Workload.Mixed,
        _ => throw new FormatException($"unknown workload '{name}' (set, get, sget, mixed)"),
    };

    /// <summary>Whether the next operation is a set; <paramref name="random"/> is the client's own.</summary>
    public static bool NextIsSet(this Workload workload, Random random) => workload switch
    {
        Workload.Set => true,
        Workload.Mixed => random.Next(10) == 0,
        _ => false,
    };
}
