using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>
/// Finds, in a compiled assembly read as metadata (never loaded), the types and members that must exist only in
/// test builds. Reusable for any project: pass what marks its test-only code (the consensus core's fault switches
/// today; another project's failpoints can be added to <see cref="ReleaseBuildTests"/> the same way).
/// </summary>
internal static class TestOnlySymbols
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
