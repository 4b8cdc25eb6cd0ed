using System.Globalization;
using Google.Protobuf.Reflection;

namespace ReplicatedKv.Protos.Tests;

/// <summary>
/// The wire contract as a set of one-line facts, one per service method, message field and enum value, each naming
/// everything a peer built from an older contract relies on: the field's number, label, type and oneof; the method's
/// request, response and streaming. A compatible change only adds facts, so "the baseline's facts are all still
/// here" is the rule: a removed or renumbered field, a changed type, a removed RPC or enum value each loses a fact.
/// (A renamed field also fails: wire-compatible, but it breaks every client generated from the files.)
/// </summary>
public static class WireContract
{
    /// <summary>Every proto file compiled into ReplicatedKv.Protos: each generated <c>*Reflection</c> class's descriptor.</summary>
    public static IReadOnlyList<FileDescriptorProto> CompiledFiles() =>
        [.. typeof(ReplicatedKv.Protos.V1.KvReflection).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal) && t.GetProperty("Descriptor")?.GetValue(null) is FileDescriptor)
            // Parsed afresh from the embedded bytes each time, so a test may mutate its copy.
            .Select(t => FileDescriptorProto.Parser.ParseFrom(((FileDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!).SerializedData))
            .OrderBy(f => f.Name, StringComparer.Ordinal)];

    public static SortedSet<string> Facts(IEnumerable<FileDescriptorProto> files)
    {
        var facts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var service in file.Service)
            {
                foreach (var method in service.Method)
                {
                    facts.Add($"rpc {file.Package}.{service.Name}.{method.Name}({Stream(method.ClientStreaming)}{method.InputType}) returns ({Stream(method.ServerStreaming)}{method.OutputType})");
                }
            }

            foreach (var message in file.MessageType)
            {
                AddMessage(facts, file.Package, message);
            }

            foreach (var enumType in file.EnumType)
            {
                AddEnum(facts, file.Package, enumType);
            }
        }

        return facts;
    }

    /// <summary>The baseline's facts that <paramref name="current"/> lacks, each with what now stands in its place, if anything.</summary>
    public static IReadOnlyList<string> Violations(IEnumerable<string> baseline, IReadOnlySet<string> current) =>
        [.. baseline.Where(fact => !current.Contains(fact)).Select(fact =>
        {
            // What the fact is about: "field pkg.Message.name " or "rpc pkg.Service.Method", without what it says of it.
            var end = fact.StartsWith("rpc ", StringComparison.Ordinal) ? fact.IndexOf('(', StringComparison.Ordinal) : fact.IndexOf('=', StringComparison.Ordinal);
            var subject = fact[..end];
            var now = current.Where(c => c.StartsWith(subject, StringComparison.Ordinal)).ToList();
            return $"{fact}  -- now {(now.Count == 0 ? "gone" : string.Join(" | ", now))}";
        })];

    private static string Stream(bool streaming) => streaming ? "stream " : "";

    private static void AddMessage(SortedSet<string> facts, string scope, DescriptorProto message)
    {
        var name = $"{scope}.{message.Name}";
        foreach (var field in message.Field)
        {
            var type = field.Type is FieldDescriptorProto.Types.Type.Message or FieldDescriptorProto.Types.Type.Enum
                ? field.TypeName
                : field.Type.ToString().ToLowerInvariant();
            var label = field.Label == FieldDescriptorProto.Types.Label.Repeated ? "repeated " : field.Proto3Optional ? "optional " : "";
            var oneof = field.HasOneofIndex && !field.Proto3Optional ? $" in oneof {message.OneofDecl[field.OneofIndex].Name}" : "";
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"field {name}.{field.Name} = {field.Number} {label}{type}{oneof}"));
        }

        foreach (var nested in message.NestedType)
        {
            AddMessage(facts, name, nested);
        }

        foreach (var nested in message.EnumType)
        {
            AddEnum(facts, name, nested);
        }
    }

    private static void AddEnum(SortedSet<string> facts, string scope, EnumDescriptorProto enumType)
    {
        foreach (var value in enumType.Value)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"enum {scope}.{enumType.Name}.{value.Name} = {value.Number}"));
        }
    }
}
