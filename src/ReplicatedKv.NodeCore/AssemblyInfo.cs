namespace ReplicatedKv.NodeCore;

/// <summary>Marks the node-core assembly (see DESIGN.md beside it).</summary>
internal static class AssemblyInfo
{
}
