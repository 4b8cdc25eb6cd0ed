namespace ReplicatedKv.Server.Node;

// Callers' deadlines, kept by the ticker: one sweep per tick instead of a timer and a cancellation registration per
// call (a timer per call was a measurable part of a write's cost under load). A wait ends at most one tick late.
public sealed partial class KvNode
{
    /// <summary>The watch for a call admitted now that waits at most <paramref name="budget"/>.</summary>
    private CallWatch WatchFor(TimeSpan budget, CancellationToken ended) =>
        new(_time.GetTimestamp() + (long)(budget.TotalSeconds * _time.TimestampFrequency), ended);

    /// <summary>
    /// On the ticker: abandons every waiting call whose call ended (an <see cref="OperationCanceledException"/>) or
    /// whose budget ran out (a <see cref="TimeoutException"/>). It runs beside a stalled loop too, so callers are
    /// answered when the disk hangs.
    /// </summary>
    private void ExpireWaits()
    {
        var now = _time.GetTimestamp();
        foreach (var (_, call) in _calls)
        {
            if (call.Watch.Ended.IsCancellationRequested)
            {
                Abandon(call, new OperationCanceledException(call.Watch.Ended));
            }
            else if (now >= call.Watch.ExpiresAt)
            {
                Abandon(call, new TimeoutException());
            }
        }
    }
}
