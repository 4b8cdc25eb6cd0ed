namespace ReplicatedKv.Chaos.Workload;

/// <summary>Runs every logical client until stopped; each finishes the call it is in (bounded by the call timeout).</summary>
internal static class WorkloadRunner
{
    public static async Task RunAsync(IReadOnlyList<Uri> endpoints, KeySpace keys, HistoryRecorder history, WorkloadOptions options, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clients = Enumerable.Range(0, options.Clients)
            .Select(c => new WorkloadClient(c, endpoints, keys, history, options.CallTimeout, new Random(unchecked((options.Seed * 7919) + c))))
            .ToArray();
        try
        {
            await Task.WhenAll(clients.Select(c => Task.Run(() => c.RunAsync(stop), CancellationToken.None))).ConfigureAwait(false);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
