using System.Globalization;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>Operations in words for violation explanations: one line each, with id, client, reply and times.</summary>
internal static class OperationText
{
    public static string Describe(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var call = operation.Kind switch
        {
            OperationKind.Get => "get",
            OperationKind.Set => $"set {Quote(operation.Value)}{Guard(operation)}",
            _ => $"remove{Guard(operation)}",
        };
        return Invariant($"#{operation.Id} (client {operation.Client}) {call} → {Reply(operation)} [{Seconds(operation.InvokeNanos)}, {Return(operation)}]");
    }

    public static string Quote(string? value) => value is null ? "null" : $"\"{value}\"";

    public static string Seconds(long nanos) => (nanos / 1e9).ToString("0.000000", CultureInfo.InvariantCulture) + "s";

    private static string Guard(Operation operation) => operation.IfVersion switch
    {
        null => "",
        0 => " if absent",
        var version => Invariant($" if version {version}"),
    };

    private static string Reply(Operation operation) => operation switch
    {
        { Outcome: OperationOutcome.Unknown } => "unknown",
        { Outcome: OperationOutcome.Failed } => "failed",
        { Outcome: OperationOutcome.VersionMismatch, Version: 0 } => "mismatch (key absent)",
        { Outcome: OperationOutcome.VersionMismatch } => Invariant($"mismatch (current version {operation.Version})"),
        { Kind: OperationKind.Get, Found: true } => Invariant($"{Quote(operation.ReadValue)} (version {operation.Version})"),
        { Kind: OperationKind.Get } => "absent",
        { Kind: OperationKind.Set } => Invariant($"ok (version {operation.Version})"),
        { Found: true } => Invariant($"removed (version {operation.Version})"),
        _ => "nothing to remove",
    };

    private static string Return(Operation operation) =>
        operation.CompleteNanos is { } complete && operation.Outcome != OperationOutcome.Unknown ? Seconds(complete) : "no reply";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
