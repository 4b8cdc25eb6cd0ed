using ReplicatedKv.Testing.Purity;

namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>The core must stay pure: BCL only, and no I/O, threads, clocks, async or logging types.</summary>
public sealed class ConsensusPurityTests
{
    private static readonly string[] AllowedAssemblies = ["System.Runtime", "System.Collections", "System.Linq", "System.Memory", "System.Runtime.InteropServices"];

    [Fact]
    public void The_core_references_only_base_class_library_assemblies()
    {
        var referenced = typeof(PaxosReplica).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        referenced.Should().OnlyContain(name => AllowedAssemblies.Contains(name));
    }

    [Fact]
    public void The_core_uses_no_io_threading_clock_or_logging_type()
    {
        AssemblyPurity.ForbiddenTypesUsedBy(typeof(PaxosReplica).Assembly.Location).Should().BeEmpty();
    }

    [Fact]
    public void The_purity_check_flags_io_and_clock_types()
    {
        // Guards the checker itself: a reference it must reject is rejected.
        AssemblyPurity.IsForbidden("System.IO.File").Should().BeTrue();
        AssemblyPurity.IsForbidden("System.Threading.Tasks.Task").Should().BeTrue();
        AssemblyPurity.IsForbidden("System.DateTime").Should().BeTrue();
        AssemblyPurity.IsForbidden("System.Collections.Generic.List`1").Should().BeFalse();
        AssemblyPurity.ForbiddenTypesUsedBy(typeof(ConsensusPurityTests).Assembly.Location).Should().NotBeEmpty();
    }
}
