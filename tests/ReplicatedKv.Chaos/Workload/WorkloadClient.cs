using System.Globalization;
using ReplicatedKv.Client;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Workload;

/// <summary>
/// One logical client: one call at a time, random gets, sets, removes and compare-and-sets on its keys, each write
/// with a value no other write uses ("c{client}-{n}"). Compare-and-sets use the version this client last saw for
/// the key (0 if none), so many of them succeed.
/// </summary>
internal sealed class WorkloadClient(int id, IReadOnlyList<Uri> endpoints, KeySpace keys, HistoryRecorder history, TimeSpan timeout, Random random)
    : IAsyncDisposable
{
    private readonly Dictionary<string, ulong> _seenVersions = new(StringComparer.Ordinal);
    private KvClient? _client;
    private int _rotation;
    private long _writes;

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var op = await CallAsync(keys.Pick(id, random), OperationChoice.Pick(random)).ConfigureAwait(false);
            history.Record(op);
            Remember(op);
            if (op.Outcome is OperationOutcome.Unknown or OperationOutcome.Failed)
            {
                // KvClient itself starts its next call at another member after a deadline; a fresh client also drops
                // its connections to a frozen or cut-off member, so no later call queues behind them.
                await DropClientAsync().ConfigureAwait(false);
            }
        }
    }

    public ValueTask DisposeAsync() => DropClientAsync();

    private async Task<Operation> CallAsync(string key, OperationChoice choice)
    {
        var client = _client ??= Connect();
        var ifVersion = choice.CompareAndSet ? _seenVersions.GetValueOrDefault(key) : (ulong?)null;
        return choice.Kind switch
        {
            OperationKind.Get => await RecordedCall.GetAsync(client, history, id, key, timeout).ConfigureAwait(false),
            OperationKind.Set => await RecordedCall.SetAsync(client, history, id, key, NextValue(), ifVersion, timeout).ConfigureAwait(false),
            _ => await RecordedCall.RemoveAsync(client, history, id, key, ifVersion, timeout).ConfigureAwait(false),
        };
    }

    private void Remember(Operation op)
    {
        switch (op)
        {
            case { Outcome: OperationOutcome.Ok, Kind: OperationKind.Get or OperationKind.Set }:
            case { Outcome: OperationOutcome.VersionMismatch }:
                _seenVersions[op.Key] = op.Version;
                break;
            case { Outcome: OperationOutcome.Ok, Kind: OperationKind.Remove }:
                _seenVersions[op.Key] = 0;
                break;
            case { Outcome: OperationOutcome.Unknown }:
                _seenVersions.Remove(op.Key);
                break;
        }
    }

    private string NextValue() => string.Create(CultureInfo.InvariantCulture, $"c{id}-{++_writes}");

    private KvClient Connect()
    {
        var start = (id + _rotation++) % endpoints.Count;
        var rotated = endpoints.Skip(start).Concat(endpoints.Take(start)).ToArray();
        return new KvClient(new KvClientOptions
        {
            Endpoints = rotated,
            ConnectionsPerEndpoint = 1,
            DefaultTimeout = timeout,
            MaxBackoff = TimeSpan.FromMilliseconds(200),
            ClientIdPrefix = string.Create(CultureInfo.InvariantCulture, $"chaos-c{id}-{_rotation}-{Guid.NewGuid():N}"),
        });
    }

    private async ValueTask DropClientAsync()
    {
        if (_client is { } client)
        {
            _client = null;
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
