using ReplicatedKv.Testing.Builds;

namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>
/// The deliberate protocol bugs (ReplicaFaults) exist only in builds with RKV_FAULT_INJECTION, which
/// Directory.Build.props defines for every configuration but Release: a published binary must not carry them.
/// </summary>
public sealed class ReleaseBuildTests
{
    private static readonly string[] FaultTypeFragments = ["Faults"];
    private static readonly string[] FaultMemberNames = ["Faults"];

    [Fact]
    public void A_release_build_of_the_core_has_no_fault_switches()
    {
        ReleaseBuild.TestOnlySymbolsIn("ReplicatedKv.Consensus", FaultTypeFragments, FaultMemberNames)
            .Should().BeEmpty("Release binaries carry no deliberate protocol bugs");
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void The_check_finds_the_fault_switches_in_the_test_build()
    {
        // Guards the checker itself: the Debug assembly under test does have them.
        TestOnlySymbols.Find(typeof(PaxosReplica).Assembly.Location, FaultTypeFragments, FaultMemberNames)
            .Should().Contain("type ReplicaFaults").And.Contain("member ReplicaConfig.Faults");
    }
#endif
}
