namespace ReplicatedKv.NodeCore.Tests;

/// <summary>Placeholder until the first test lands; removed with it.</summary>
internal static class Placeholder
{
}
