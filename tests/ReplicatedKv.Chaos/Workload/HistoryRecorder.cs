using System.Collections.Concurrent;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Workload;

/// <summary>Collects completed operations from every client; ids are handed out at invoke time, so they follow invoke order.</summary>
internal sealed class HistoryRecorder(RunClock clock)
{
    private readonly ConcurrentQueue<Operation> _operations = new();
    private long _lastId;

    public RunClock Clock { get; } = clock;

    /// <summary>Call just before sending: the id and the invoke time.</summary>
    public (long Id, long InvokeNanos) Invoke() => (Interlocked.Increment(ref _lastId), Clock.Nanos);

    public void Record(Operation operation) => _operations.Enqueue(operation);

    /// <summary>Everything recorded so far, in id (invoke) order.</summary>
    public IReadOnlyList<Operation> Snapshot() => _operations.OrderBy(o => o.Id).ToArray();
}
