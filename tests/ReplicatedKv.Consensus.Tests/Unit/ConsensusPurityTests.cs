using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>The core must stay pure: BCL only, and no I/O, threads, clocks, async or logging types.</summary>
public sealed class ConsensusPurityTests
{
    private static readonly string[] AllowedAssemblies = ["System.Runtime", "System.Collections", "System.Linq", "System.Memory", "System.Runtime.InteropServices"];

    private static readonly string[] ForbiddenNamespaces =
        ["System.IO", "System.Net", "System.Threading", "System.Diagnostics", "Microsoft.Extensions"];

    private static readonly string[] ForbiddenTypes =
        ["System.DateTime", "System.DateTimeOffset", "System.Random", "System.Console", "System.Environment", "System.TimeProvider"];

    [Fact]
    public void The_core_references_only_base_class_library_assemblies()
    {
        var referenced = typeof(PaxosReplica).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        referenced.Should().OnlyContain(name => AllowedAssemblies.Contains(name));
    }

    [Fact]
    public void The_core_uses_no_io_threading_clock_or_logging_type()
    {
        var offenders = ReferencedTypeNames(typeof(PaxosReplica).Assembly)
            .Where(IsForbidden)
            .ToArray();
        offenders.Should().BeEmpty();
    }

    [Fact]
    public void The_purity_check_flags_io_and_clock_types()
    {
        // Guards the checker itself: a reference it must reject is rejected.
        IsForbidden("System.IO.File").Should().BeTrue();
        IsForbidden("System.Threading.Tasks.Task").Should().BeTrue();
        IsForbidden("System.DateTime").Should().BeTrue();
        IsForbidden("System.Collections.Generic.List`1").Should().BeFalse();
        ReferencedTypeNames(typeof(ConsensusPurityTests).Assembly).Should().Contain(n => IsForbidden(n));
    }

    private static bool IsForbidden(string fullName) =>
        ForbiddenTypes.Contains(fullName) ||
        ForbiddenNamespaces.Any(ns => fullName.StartsWith(ns + ".", StringComparison.Ordinal));

    private static List<string> ReferencedTypeNames(Assembly assembly)
    {
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in reader.TypeReferences)
        {
            var type = reader.GetTypeReference(handle);
            var ns = reader.GetString(type.Namespace);
            var name = reader.GetString(type.Name);
            if (ns == "System.Diagnostics" && name is "DebuggerBrowsableAttribute" or "DebuggerBrowsableState" or "DebuggableAttribute" or "DebuggerHiddenAttribute" or "DebuggerStepThroughAttribute")
            {
                continue;
            }

            if (ns == "System.Diagnostics.CodeAnalysis" || ns == "System.Runtime.CompilerServices" && name != "Unsafe" || ns.Length == 0 && type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                continue;
            }

            names.Add(ns.Length == 0 ? name : ns + "." + name);
        }

        return names;
    }
}
