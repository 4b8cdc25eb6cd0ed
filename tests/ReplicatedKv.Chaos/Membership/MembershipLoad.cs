using ReplicatedKv.Chaos.Scenarios;
using ReplicatedKv.Chaos.Workload;
using ReplicatedKv.Testing.Checking;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Membership;

/// <summary>
/// The chaos workload (gets, sets, removes and compare-and-sets, every call recorded) run against a
/// <see cref="MemberCluster"/> while its membership changes; afterwards every key is read back and the whole
/// history goes through the linearizability checker, so a lost acknowledged write is a violation.
/// </summary>
internal sealed class MembershipLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _workload;
    private readonly int _clients;

    private MembershipLoad(IReadOnlyList<Uri> endpoints, int clients, int seed)
    {
        _clients = clients;
        History = new HistoryRecorder(Clock);
        _workload = WorkloadRunner.RunAsync(endpoints, new KeySpace(clients), History, new WorkloadOptions(clients, seed), _stop.Token);
    }

    public RunClock Clock { get; } = new();

    public HistoryRecorder History { get; }

    public static MembershipLoad Start(IReadOnlyList<Uri> endpoints, int clients = 4, int seed = 16) => new(endpoints, clients, seed);

    public int OkWrites => History.Snapshot().Count(o => o.Kind != OperationKind.Get && o.Outcome == OperationOutcome.Ok);

    /// <summary>Writes of the workload that did not get a definite answer (failed, or unknown outcome).</summary>
    public IReadOnlyList<Operation> FailedWrites => [.. History.Snapshot().Where(o => o.Client < _clients && o.Kind != OperationKind.Get
        && o.Outcome is OperationOutcome.Failed or OperationOutcome.Unknown)];

    /// <summary>Waits until <paramref name="more"/> further writes were acknowledged (throws if they are not within a minute).</summary>
    public async Task WaitForWritesAsync(int more)
    {
        var target = OkWrites + more;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (OkWrites < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"only {OkWrites} of {target} writes acknowledged within a minute");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _workload.ConfigureAwait(false);
    }

    /// <summary>Stops the load, reads every key back through <paramref name="endpoints"/>, and checks the whole history.</summary>
    public async Task<(LinearizabilityResult Result, IReadOnlyList<string> Unread)> StopAndCheckAsync(IReadOnlyList<Uri> endpoints)
    {
        await StopAsync().ConfigureAwait(false);
        await using var reads = new FinalReads(endpoints, History, clientId: _clients);
        var keys = History.Snapshot().Select(o => o.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var unread = await reads.ReadEveryKeyAsync(keys, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var result = await Task.Run(() => LinearizabilityChecker.Check(History.Snapshot(), TimeSpan.FromSeconds(60))).ConfigureAwait(false);
        return (result, unread);
    }

    /// <summary>
    /// The longest time between two consecutive acknowledged writes (by completion) that overlaps
    /// [<paramref name="fromNanos"/>, <paramref name="toNanos"/>]: how long writes paused around an event.
    /// </summary>
    public TimeSpan LongestWritePause(long fromNanos, long toNanos)
    {
        var completions = History.Snapshot().Where(o => o.Client < _clients && o.Kind != OperationKind.Get && o.Outcome == OperationOutcome.Ok)
            .Select(o => o.CompleteNanos!.Value).Order().ToArray();
        long longest = 0;
        for (var i = 1; i < completions.Length; i++)
        {
            if (completions[i] >= fromNanos && completions[i - 1] <= toNanos)
            {
                longest = Math.Max(longest, completions[i] - completions[i - 1]);
            }
        }

        return TimeSpan.FromTicks(longest / 100);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _workload.ConfigureAwait(false);
        _stop.Dispose();
    }
}
