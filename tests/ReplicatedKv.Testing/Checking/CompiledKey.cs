using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// One key's operations ready for the search. Operations are numbered so that the ones that must be linearized come
/// first (<c>[0, RequiredCount)</c>) and the optional ones (unknown outcomes that may never have happened) follow,
/// sorted by invoke time.
/// </summary>
internal sealed class CompiledKey
{
    public required string Key { get; init; }

    /// <summary>The recorded operation behind each model operation.</summary>
    public required Operation[] Sources { get; init; }

    public required ModelOperation[] Operations { get; init; }

    public required long[] InvokeNanos { get; init; }

    /// <summary>When each operation must have taken effect by; <see cref="long.MaxValue"/> for optional ones.</summary>
    public required long[] ReturnNanos { get; init; }

    public required int RequiredCount { get; init; }

    /// <summary>The key's sets that may have taken effect, by write index.</summary>
    public required Operation[] Writes { get; init; }

    /// <summary>Each write's version as the history tells it (its reply or a read of its value); 0 when unknown.</summary>
    public required ulong[] WriteVersions { get; init; }

    public required HashSet<ulong> VersionsOfWrites { get; init; }

    public int OptionalCount => Operations.Length - RequiredCount;
}
