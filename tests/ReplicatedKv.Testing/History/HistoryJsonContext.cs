using System.Text.Json.Serialization;

namespace ReplicatedKv.Testing.History;

/// <summary>
/// Source-generated (no reflection at run time) JSON for history lines. Enums are written as names and nulls are
/// left out, so a history file stays readable by people and by jq.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Operation))]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;
