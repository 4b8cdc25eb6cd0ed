using ReplicatedKv.Testing.Purity;

namespace ReplicatedKv.NodeCore.Tests;

/// <summary>The node core must stay pure like the consensus core: its pure siblings and the BCL only, and no I/O, threads, clocks or logging.</summary>
public sealed class NodeCorePurityTests
{
    private static readonly string[] AllowedAssemblies =
        ["System.Runtime", "System.Collections", "System.Linq", "System.Memory", "ReplicatedKv.Consensus", "ReplicatedKv.StateMachine"];

    [Fact]
    public void The_node_core_references_only_the_bcl_and_the_pure_cores()
    {
        var referenced = typeof(NodeCore).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        referenced.Should().OnlyContain(name => AllowedAssemblies.Contains(name));
    }

    [Fact]
    public void The_node_core_uses_no_io_threading_clock_or_logging_type()
    {
        AssemblyPurity.ForbiddenTypesUsedBy(typeof(NodeCore).Assembly.Location).Should().BeEmpty();
    }

    [Fact]
    public void The_purity_check_flags_what_the_shell_uses()
    {
        // Guards the check itself: the server's shell (threads, tasks, clocks) must fail it.
        AssemblyPurity.IsForbidden("System.Threading.Tasks.Task").Should().BeTrue();
        AssemblyPurity.IsForbidden("System.TimeProvider").Should().BeTrue();
        AssemblyPurity.IsForbidden("System.Collections.Generic.List`1").Should().BeFalse();
        AssemblyPurity.ForbiddenTypesUsedBy(typeof(NodeCorePurityTests).Assembly.Location).Should().NotBeEmpty();
    }
}
