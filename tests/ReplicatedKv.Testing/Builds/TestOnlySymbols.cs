using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ReplicatedKv.Testing.Builds;

/// <summary>
/// Finds, in a compiled assembly read as metadata (never loaded), the types and members that must exist only in
/// test builds. Each project's ReleaseBuildTests pass what marks its test-only code: the fault switches of the
/// consensus and node cores, the storage failpoints.
/// </summary>
public static class TestOnlySymbols
{
    /// <summary>
    /// Every type whose name contains one of <paramref name="typeNameFragments"/>, and every field, property,
    /// method or event named exactly one of <paramref name="memberNames"/>, as "type X" or "member T.M".
    /// </summary>
    public static IReadOnlyList<string> Find(string assemblyPath, IReadOnlyCollection<string> typeNameFragments, IReadOnlyCollection<string> memberNames)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var found = new List<string>();
        foreach (var typeHandle in reader.TypeDefinitions)
        {
            var type = reader.GetTypeDefinition(typeHandle);
            var typeName = reader.GetString(type.Name);
            if (typeNameFragments.Any(fragment => typeName.Contains(fragment, StringComparison.Ordinal)))
            {
                found.Add($"type {typeName}");
            }

            var members = type.GetFields().Select(h => reader.GetFieldDefinition(h).Name)
                .Concat(type.GetProperties().Select(h => reader.GetPropertyDefinition(h).Name))
                .Concat(type.GetMethods().Select(h => reader.GetMethodDefinition(h).Name))
                .Concat(type.GetEvents().Select(h => reader.GetEventDefinition(h).Name))
                .Select(reader.GetString);
            found.AddRange(members.Where(memberNames.Contains).Select(member => $"member {typeName}.{member}"));
        }

        return found;
    }
}
