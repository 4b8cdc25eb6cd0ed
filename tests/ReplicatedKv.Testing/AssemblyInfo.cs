namespace ReplicatedKv.Testing;

/// <summary>Marks the test-support assembly; its parts live in folders named after the seam or tool they serve.</summary>
internal static class AssemblyInfo
{
}
