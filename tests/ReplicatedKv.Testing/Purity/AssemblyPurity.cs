using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ReplicatedKv.Testing.Purity;

/// <summary>
/// The rule both pure cores (consensus, node) are held to: no I/O, threads, clocks, randomness or logging types. Reads
/// the compiled assembly as metadata, so it sees every type the code references, not only those a test exercises.
/// </summary>
public static class AssemblyPurity
{
    private static readonly string[] ForbiddenNamespaces =
        ["System.IO", "System.Net", "System.Threading", "System.Diagnostics", "Microsoft.Extensions"];

    private static readonly string[] ForbiddenTypes =
        ["System.DateTime", "System.DateTimeOffset", "System.Random", "System.Console", "System.Environment", "System.TimeProvider"];

    /// <summary>True for a type a pure core must not use.</summary>
    public static bool IsForbidden(string fullName) =>
        ForbiddenTypes.Contains(fullName) ||
        ForbiddenNamespaces.Any(ns => fullName.StartsWith(ns + ".", StringComparison.Ordinal));

    /// <summary>The forbidden types the assembly at <paramref name="path"/> references.</summary>
    public static IReadOnlyList<string> ForbiddenTypesUsedBy(string path) => ReferencedTypeNames(path).Where(IsForbidden).ToArray();

    /// <summary>Every type the assembly at <paramref name="path"/> references, less compiler-emitted attributes.</summary>
    public static List<string> ReferencedTypeNames(string path)
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

            // Debugger, nullable and code-analysis attributes are metadata, not behaviour; Unsafe is a real use.
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
