using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// Histories that are linearizable by construction: each client's calls get random invoke and completion times,
/// each call takes effect at a random instant in between, and a sequential model of the store applied in that
/// order decides every reply. Unknown outcomes took effect or not at random; failed ones did not.
/// </summary>
internal sealed class HistoryGenerator(HistoryGenerator.Settings settings)
{
    public sealed record Settings(
        int Seed,
        int Operations,
        int Keys,
        int Clients,
        double UnknownRate = 0.05,
        double FailedRate = 0.02,
        long MaxLatencyNanos = 2_000_000,
        long MaxThinkNanos = 500_000);

    private readonly Random _random = new(settings.Seed);

    public List<Operation> Generate()
    {
        var calls = PlanCalls();
        calls.Sort((a, b) => a.TakesEffectAt.CompareTo(b.TakesEffectAt));
        var store = new SequentialStore();
        var operations = calls.Select(call => Decide(call, store)).ToList();
        operations.Sort((a, b) => a.InvokeNanos.CompareTo(b.InvokeNanos));
        return operations.Select((operation, index) => operation with { Id = index + 1 }).ToList();
    }

    private List<PlannedCall> PlanCalls()
    {
        var clientFreeAt = new long[settings.Clients];
        var calls = new List<PlannedCall>(settings.Operations);
        for (var i = 0; i < settings.Operations; i++)
        {
            // The client that has been idle longest calls next, so clients interleave as they would in a run.
            var client = Array.IndexOf(clientFreeAt, clientFreeAt.Min());
            var invoke = clientFreeAt[client] + _random.NextInt64(settings.MaxThinkNanos);
            var takesEffect = invoke + 1 + _random.NextInt64(settings.MaxLatencyNanos);
            var complete = takesEffect + 1 + _random.NextInt64(settings.MaxLatencyNanos);
            clientFreeAt[client] = complete;
            var roll = _random.NextDouble();
            var fate = roll < settings.UnknownRate ? Fate.Unknown
                : roll < settings.UnknownRate + settings.FailedRate ? Fate.Failed
                : Fate.Replied;
            var kind = _random.NextDouble() switch
            {
                < 0.5 => OperationKind.Get,
                < 0.85 => OperationKind.Set,
                _ => OperationKind.Remove,
            };
            calls.Add(new PlannedCall(i, client, $"k{_random.Next(settings.Keys)}", kind, invoke, takesEffect, complete, fate));
        }

        return calls;
    }

    private Operation Decide(PlannedCall call, SequentialStore store)
    {
        var current = store.VersionOf(call.Key);
        var guard = call.Kind == OperationKind.Get || _random.NextDouble() < 0.7 ? (ulong?)null
            : _random.NextDouble() < 0.5 ? current
            : current + 1 + (ulong)_random.Next(3);
        var value = call.Kind == OperationKind.Set ? $"{call.Key}-{call.Number}" : null;
        var operation = new Operation(0, call.Client, call.Key, call.Kind, value, guard, call.InvokeNanos, call.CompleteNanos, OperationOutcome.Ok);
        var applies = call.Fate == Fate.Replied || (call.Fate == Fate.Unknown && _random.NextDouble() < 0.5);
        if (!applies)
        {
            return call.Fate == Fate.Failed
                ? operation with { Outcome = OperationOutcome.Failed, Error = "refused" }
                : operation with { Outcome = OperationOutcome.Unknown, CompleteNanos = null, Error = "deadline exceeded" };
        }

        var reply = call.Kind switch
        {
            _ when guard is { } expected && expected != current => operation with { Outcome = OperationOutcome.VersionMismatch, Version = current },
            OperationKind.Get => store.Get(call.Key) is { } found
                ? operation with { Found = true, ReadValue = found.Value, Version = found.Version }
                : operation,
            OperationKind.Set => operation with { Version = store.Set(call.Key, value!) },
            _ => store.Remove(call.Key) is { } removed ? operation with { Found = true, Version = removed } : operation,
        };
        return call.Fate == Fate.Unknown
            ? reply with { Outcome = OperationOutcome.Unknown, CompleteNanos = null, Found = false, ReadValue = null, Version = 0, Error = "deadline exceeded" }
            : reply;
    }

    private enum Fate
    {
        Replied,
        Unknown,
        Failed,
    }

    private sealed record PlannedCall(int Number, int Client, string Key, OperationKind Kind, long InvokeNanos, long TakesEffectAt, long CompleteNanos, Fate Fate);

    /// <summary>The store's semantics, one call at a time: cluster-wide revisions, unique per write.</summary>
    private sealed class SequentialStore
    {
        private readonly Dictionary<string, (string Value, ulong Version)> _entries = new(StringComparer.Ordinal);
        private ulong _revision;

        public ulong VersionOf(string key) => _entries.TryGetValue(key, out var entry) ? entry.Version : 0;

        public (string Value, ulong Version)? Get(string key) => _entries.TryGetValue(key, out var entry) ? entry : null;

        public ulong Set(string key, string value)
        {
            _entries[key] = (value, ++_revision);
            return _revision;
        }

        public ulong? Remove(string key) => _entries.Remove(key) ? ++_revision : null;
    }
}
