using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ReplicatedKv.NodeCore.Tests;

/// <summary>The node core must stay pure like the consensus core: its pure siblings and the BCL only, and no I/O, threads, clocks or logging.</summary>
public sealed class NodeCorePurityTests
{
    private static readonly string[] AllowedAssemblies =
        ["System.Runtime", "System.Collections", "System.Linq", "System.Memory", "ReplicatedKv.Consensus", "ReplicatedKv.StateMachine"];

    private static readonly string[] ForbiddenNamespaces =
        ["System.IO", "System.Net", "System.Threading", "System.Diagnostics", "Microsoft.Extensions"];

    private static readonly string[] ForbiddenTypes =
        ["System.DateTime", "System.DateTimeOffset", "System.Random", "System.Console", "System.Environment", "System.TimeProvider"];

    [Fact]
    public void The_node_core_references_only_the_bcl_and_the_pure_cores()
    {
        var referenced = typeof(NodeCore).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        referenced.Should().OnlyContain(name => AllowedAssemblies.Contains(name));
    }

    [Fact]
    public void The_node_core_uses_no_io_threading_clock_or_logging_type()
    {
        ReferencedTypeNames(typeof(NodeCore).Assembly.Location).Where(IsForbidden).Should().BeEmpty();
    }

    [Fact]
    public void The_purity_check_flags_what_the_shell_uses()
    {
        // Guards the check itself: the server's shell (threads, tasks, clocks) must fail it.
        IsForbidden("System.Threading.Tasks.Task").Should().BeTrue();
        IsForbidden("System.TimeProvider").Should().BeTrue();
        IsForbidden("System.Collections.Generic.List`1").Should().BeFalse();
        ReferencedTypeNames(typeof(NodeCorePurityTests).Assembly.Location).Should().Contain(n => IsForbidden(n));
    }

    private static bool IsForbidden(string fullName) =>
        ForbiddenTypes.Contains(fullName) ||
        ForbiddenNamespaces.Any(ns => fullName.StartsWith(ns + ".", StringComparison.Ordinal));

    private static List<string> ReferencedTypeNames(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in reader.TypeReferences)
        {
            var type = reader.GetTypeReference(handle);
            var ns = reader.GetString(type.Namespace);
            var name = reader.GetString(type.Name);

            // Compiler-emitted attributes (debugger, nullable, code analysis) are metadata, not behaviour.
            if (ns == "System.Diagnostics" && name.StartsWith("Debugg", StringComparison.Ordinal) ||
                ns == "System.Diagnostics.CodeAnalysis" || ns == "System.Runtime.CompilerServices" ||
                ns.Length == 0 && type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                continue;
            }

            names.Add(ns.Length == 0 ? name : ns + "." + name);
        }

        return names;
    }
}
