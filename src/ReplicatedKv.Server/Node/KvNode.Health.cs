namespace ReplicatedKv.Server.Node;

// Health that tells the truth: the published view combines what the loop last saw (leader, quorum) with what the
// loop cannot report about itself while it is in trouble (storage refusing writes, a stall), so grpc health, /readyz,
// Cluster.Status and the metrics all say NOT_SERVING, with the same reason, while either lasts.
public sealed partial class KvNode
{
    // Guards _loopView and the publication of _view: the loop and the stall watchdog both publish.
    private readonly Lock _viewGate = new();
    private NodeView _loopView = NodeView.Starting;

    // Rounds the loop has begun (or waits on a refusing disk); the watchdog's sign of life.
    private long _loopRounds;

    // Watchdog-only (the ticker): the round count it last saw change, and when.
    private long _watchedRounds = -1;
    private long _watchedSince;

    // Set and cleared by the watchdog: why the loop is considered stalled, or null.
    private volatile string? _stallReason;

    /// <summary>
    /// Why this node refuses a client request at once, or null to admit it: a stalled loop answers nothing;
    /// a refusing disk still allows what needs no write (<paramref name="needsLog"/> false: serializable reads).
    /// </summary>
    internal string? RefusalFor(bool needsLog) => _stallReason ?? (needsLog ? _storageRefusal ?? RemovedReason : null);

    /// <summary>Publishes the view, and raises <see cref="ViewChanged"/>, if the loop's view or a problem changed.</summary>
    private void RefreshView()
    {
        lock (_viewGate)
        {
            var storage = _storageRefusal;
            var stall = _stallReason;
            var view = _loopView with { Problem = storage ?? stall ?? RemovedReason, StorageRefused = storage is not null };
            if (view == _view)
            {
                return;
            }

            _view = view;
            _metrics.PublishHealth(view.NotServingReason is null, storage is not null, stall is not null);

            // Raised under the lock so two publishers cannot deliver their views out of order.
            ViewChanged?.Invoke(view);
        }
    }

    /// <summary>
    /// On the ticker, after each tick it queued: a loop that began no round for <see cref="Settings.ServerSettings.StallTimeout"/>
    /// while ticks (work) kept arriving is stalled. A healthy idle loop begins a round for every tick.
    /// </summary>
    private void WatchForStall()
    {
        if (_settings.StallTimeout <= TimeSpan.Zero)
        {
            return;
        }

        var rounds = Interlocked.Read(ref _loopRounds);
        var now = _time.GetTimestamp();
        if (rounds != _watchedRounds)
        {
            _watchedRounds = rounds;
            _watchedSince = now;
            if (_stallReason is not null)
            {
                _stallReason = null;
                LogStallOver(_logger);
                RefreshView();
            }

            return;
        }

        var stalled = _time.GetElapsedTime(_watchedSince, now);
        if (_stallReason is null && stalled >= _settings.StallTimeout)
        {
            _stallReason = $"node loop stalled: no progress for {stalled.TotalSeconds:0.#} s with work queued (stall-timeout {_settings.StallTimeout.TotalSeconds:0.###} s)";
            LogStalled(_logger, _stallReason);
            RefreshView();
        }
    }
}
