using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>The suite's shape of write: an 8-byte key and a 256-byte value, over a fixed set of keys.</summary>
internal static class SampleCommands
{
    /// <summary>Keys cycle through this many, so after warm-up no table grows and allocations are steady.</summary>
    public const int KeyCount = 1024;

    private static readonly byte[] Value = BenchmarkFiles.Payload(256, seed: 256);

    public static KvCommand Set(int i) =>
        KvCommand.Set("k" + (i % KeyCount).ToString("D7", System.Globalization.CultureInfo.InvariantCulture), Value);

    /// <summary>Pre-built sets, so building the command is not counted against the path that takes it.</summary>
    public static KvCommand[] Sets() => Enumerable.Range(0, KeyCount).Select(Set).ToArray();
}
