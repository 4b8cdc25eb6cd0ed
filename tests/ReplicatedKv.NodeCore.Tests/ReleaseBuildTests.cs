using ReplicatedKv.Testing.Builds;

namespace ReplicatedKv.NodeCore.Tests;

/// <summary>
/// The deliberate routing bugs (NodeFaults, NodeCoreConfig.Faults) exist only in builds with RKV_FAULT_INJECTION,
/// which Directory.Build.props defines for every configuration but Release: the node core rkv-server ships must not
/// carry them.
/// </summary>
public sealed class ReleaseBuildTests
{
    private static readonly string[] FaultTypeFragments = ["Faults"];
    private static readonly string[] FaultMemberNames = ["Faults"];

    [Fact]
    public void A_release_build_of_the_node_core_has_no_fault_switches()
    {
        ReleaseBuild.TestOnlySymbolsIn("ReplicatedKv.NodeCore", FaultTypeFragments, FaultMemberNames)
            .Should().BeEmpty("Release binaries carry no deliberate routing bugs");
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void The_check_finds_the_fault_switches_in_the_test_build()
    {
        // Guards the checker itself: the assembly under test does have them.
        TestOnlySymbols.Find(typeof(NodeCore).Assembly.Location, FaultTypeFragments, FaultMemberNames)
            .Should().Contain("type NodeFaults").And.Contain("member NodeCoreConfig.Faults");
    }
#endif
}
