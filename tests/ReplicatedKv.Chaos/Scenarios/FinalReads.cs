using System.Globalization;
using ReplicatedKv.Chaos.Workload;
using ReplicatedKv.Client;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>
/// The calls the harness makes itself after the faults, recorded in the same history as the workload's, by a
/// client id of its own: a barrier write before the convergence check, and one linearizable read of every key
/// after the cluster restarted. A lost acknowledged write then shows up as an ordinary linearizability violation.
/// </summary>
internal sealed class FinalReads(IReadOnlyList<Uri> endpoints, HistoryRecorder history, int clientId) : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);
    private readonly KvClient _client = new(new KvClientOptions
    {
        Endpoints = endpoints,
        ConnectionsPerEndpoint = 1,
        ClientIdPrefix = "chaos-harness-" + Guid.NewGuid().ToString("N"),
    });

    private int _barriers;

    /// <summary>One write that must succeed: once it is applied everywhere, so is everything before it.</summary>
    public async Task<bool> BarrierAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var value = string.Create(CultureInfo.InvariantCulture, $"barrier-{++_barriers}");
            var op = await RecordedCall.SetAsync(_client, history, clientId, "barrier", value, null, CallTimeout).ConfigureAwait(false);
            history.Record(op);
            if (op.Outcome == OperationOutcome.Ok)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads every key until one read of each succeeds; returns the keys that could not be read in time.</summary>
    public async Task<IReadOnlyList<string>> ReadEveryKeyAsync(IEnumerable<string> keys, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        var unread = new List<string>();
        foreach (var key in keys)
        {
            var done = false;
            while (!done && DateTime.UtcNow < deadline)
            {
                var op = await RecordedCall.GetAsync(_client, history, clientId, key, CallTimeout).ConfigureAwait(false);
                history.Record(op);
                done = op.Outcome == OperationOutcome.Ok;
            }

            if (!done)
            {
                unread.Add(key);
            }
        }

        return unread;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
