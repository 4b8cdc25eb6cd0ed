using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Metrics;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Storage;
using ReplicatedKv.Transport;
using ReplicatedKv.Transport.Tls;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

/// <summary>
/// The shell around one node core (<see cref="NodeCore.NodeCore"/>): it owns the input queue, the ticker, storage,
/// the peer transport, admission limits, snapshot files, metrics and the published view, and decides nothing. The
/// core decides where every request goes and when it is answered; <see cref="ReadyProcessor"/> carries out its
/// effects in the durability order (persist, then send what depended on it, then apply, then answer). One loop
/// thread owns the core, so nothing here needs a lock.
/// </summary>
public sealed partial class KvNode : IPeerInbox, IAsyncDisposable
{
    private readonly ServerSettings _settings;
    private readonly ClusterMembers _members;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NodeStorage _storage;
    private readonly NodeCore.NodeCore _core;
    private readonly ReadyProcessor _processor;
    private readonly NodeMetrics _metrics;
    private readonly IPeerTransport _transport;
    // Synchronous continuations: the only one is the loop's wake-up (WaitForInput), which a writer can run itself
    // instead of queueing it to the thread pool first (a thread hop on every request that finds the loop idle).
    private readonly Channel<NodeInput> _inputs = Channel.CreateUnbounded<NodeInput>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly ConcurrentDictionary<long, PendingCall> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly uint _incarnation = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
    private long _nextCaller;
    private int _pendingRequests;
    private Thread? _loopThread;
    private readonly TaskCompletionSource _loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _tickerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _tickerThread;
    private volatile NodeView _view = NodeView.Starting;
    private int _disposed;

    private KvNode(ServerSettings settings, ClusterMembers members, NodeStorage storage, KeyValueStateMachine stateMachine, ILoggerFactory loggers,
        NodeMetrics metrics, TimeProvider time, Func<ClusterMembers, IPeerInbox, IPeerTransport>? transportFactory, PeerTls? peerTls)
    {
        _settings = settings;
        _members = members;
        _directory = members.Members.ToDictionary(m => m.Id);
        _storage = storage;
        _metrics = metrics;
        _time = time;
        _logger = loggers.CreateLogger("ReplicatedKv.Node");
        _core = new NodeCore.NodeCore(
            new NodeCoreConfig
            {
                Replica = ReplicaConfigFor(settings, members),
                Incarnation = _incarnation,
                CommandLimits = new StateMachine.CommandLimits(settings.MaxKeyBytes, settings.MaxValueBytes),
            },
            storage.State,
            stateMachine);
        _processor = new ReadyProcessor(_core, new LoopHost(this));
        PeerAuthenticator = AuthenticatorFor(settings, members, time);
        _peerTls = peerTls;
        _transport = transportFactory is null
            ? new GrpcPeerTransport(members, PeerAuthenticator, PeerLinkOptionsFor(settings) with { Tls = peerTls }, loggers, time)
            : transportFactory(members, this);
        SyncMembers();
        TrackPeerMetrics();
        PublishMetrics();
    }

    public ClusterMembers Members => _members;

    /// <summary>The loop's latest published view of leadership and health; safe to read from any thread.</summary>
    public NodeView View => _view;

    /// <summary>Raised (on the loop) whenever <see cref="View"/> changes.</summary>
    public event Action<NodeView>? ViewChanged;

    /// <summary>Completes when the loop stops; faults if it died (broken invariant, storage gone).</summary>
    public Task Completion => _loopThread is null ? Task.CompletedTask : _loopDone.Task;

    /// <summary>
    /// Opens the data directory, restores the state machine, and builds the replica. Does not start the loop.
    /// The node records into <paramref name="metrics"/> but does not own it.
    /// </summary>
    /// <param name="settings">The node's settings.</param>
    /// <param name="loggers">Where the node, its storage and its transport log.</param>
    /// <param name="metrics">Where the node records its measurements.</param>
    /// <param name="time">The clock; the system clock if null.</param>
    /// <param name="transportFactory">
    /// Builds the node's outbound peer transport from its members and its inbox (the node itself); the node owns
    /// and disposes what it returns. Null, as in production, means a <see cref="GrpcPeerTransport"/> to every
    /// other member. It exists so tests can run peers over an in-memory network (InMemoryPeerNetwork).
    /// </param>
    /// <param name="storageFiles">
    /// The files the write-ahead log lives in; null, as in production, means the real disk. It exists so tests can
    /// give a node a disk twin that fills up (InMemoryFiles).
    /// </param>
    /// <param name="peerTls">Mutual TLS for the <see cref="GrpcPeerTransport"/> (https peer URLs); null dials plaintext.</param>
    /// <param name="cancellationToken">Cancels restoring the state machine.</param>
    public static async Task<KvNode> OpenAsync(ServerSettings settings, ILoggerFactory loggers, NodeMetrics metrics, TimeProvider? time = null,
        Func<ClusterMembers, IPeerInbox, IPeerTransport>? transportFactory = null,
        IStorageFiles? storageFiles = null, PeerTls? peerTls = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(metrics);
        var directory = await ResolveMemberDirectoryAsync(settings, peerTls, loggers, time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
        var members = new ClusterMembers(settings.ClusterId, directory.SelfId, directory.Members) { HighestId = directory.HighestId };
        var storageLogger = loggers.CreateLogger("ReplicatedKv.Storage");
        var storageOptions = new StorageOptions
        {
            DataDirectory = settings.DataDir,
            SegmentBytes = settings.SegmentBytes,
            SnapshotEveryEntries = settings.SnapshotEveryEntries,
            SnapshotEveryBytes = settings.SnapshotEveryBytes,
            SyncObserver = metrics,
            Identity = WalIdentity.Of(settings.ClusterId, settings.NodeId),

            // A log that lost durable records is marked Rejoining, the persisted form of the empty-disk rule: the
            // replica learns and does not vote until fenced. Alone, nobody holds what was lost: refuse instead.
            LostState = members.Count > 1 ? LostStatePolicy.Rejoin : LostStatePolicy.Refuse,
        };
        var storage = NodeStorage.Open(storageFiles is null ? storageOptions : storageOptions with { Files = storageFiles }, storageLogger);
        if (storage.LostState is { } loss)
        {
            LogRejoiningAfterLoss(storageLogger, loss.Path, loss.Offset, loss.Reason);
        }

        try
        {
            StartNewIncarnationIfNeeded(storage);
            var stateMachine = new KeyValueStateMachine();
            if (storage.Snapshot is { } snapshot)
            {
                var payload = snapshot.OpenPayload();
                await using (payload.ConfigureAwait(false))
                {
                    stateMachine = await KeyValueStateMachine.RestoreAsync(payload, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }

            return new KvNode(settings, members, storage, stateMachine, loggers, metrics, time ?? TimeProvider.System, transportFactory, peerTls);
        }
        catch
        {
            await storage.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write-ahead log lost records it had made durable: {Path} at offset {Offset} ({Reason}); kept what is intact before it, set the rest aside as *.lost, and rejoining as a learner: no vote until fenced, the lost slots come from the peers")]
    private static partial void LogRejoiningAfterLoss(ILogger logger, string path, long offset, string reason);

    /// <summary>
    /// Slots between the slot that decides a configuration and the first slot it governs. Every member must use the
    /// same value for the cluster's whole life (a disagreement would let two configurations govern one slot), so it
    /// is a constant, not a flag; the core would otherwise take --window, which may differ per node. 64 is the
    /// default window: a leader keeps at most min(window, 64) slots in flight.
    /// </summary>
    internal const int ConfigurationDelay = 64;

    private static ReplicaConfig ReplicaConfigFor(ServerSettings settings, ClusterMembers members)
    {
        var config = new ReplicaConfig
        {
            NodeId = members.SelfId,
            Members = members.Ids,
            ElectionTicks = settings.ElectionTicks,
            HeartbeatTicks = settings.HeartbeatTicks,
            Window = settings.Window,
            ConfigurationDelay = ConfigurationDelay,
            MaxBatchCommands = settings.MaxBatchCommands,
            MaxBatchBytes = settings.MaxBatchBytes,

            // Keeps one peer message (a catch-up reply or promise) to half of what the transport accepts (PeerLinkOptions.MaxMessageBytes).
            MaxEntriesPerMessage = Math.Max(1, Math.Min(256, (128 << 20) / settings.MaxBatchBytes)),
            MaxQueuedCommands = settings.MaxPendingRequests,
            MaxPromotionLag = settings.MaxPromotionLag,
            RandomSeed = (ulong)RandomNumberGenerator.GetInt32(int.MaxValue),
            RejoinMode = settings.InitialClusterState switch
            {
                // A lone node has nobody to ask; with one member, "auto" can only mean a new cluster.
                InitialClusterState.Auto => members.Count == 1 ? RejoinMode.Bootstrap : RejoinMode.Probe,
                InitialClusterState.Existing => RejoinMode.Rejoin,
                _ => RejoinMode.Bootstrap,
            },

            // Only the probe path still waits (a probing replica bootstrapping an empty cluster; a learner with an
            // incarnation id is fenced after a challenge, without it; Consensus DESIGN.md, "What is left of the age
            // rule"). That rule assumes no message outlives half the quarantine. The transport bounds a message's
            // life by max-message-age as measured by the sender's and receiver's clocks, so allow those clocks
            // to differ by up to half of it: 3 x max-message-age.
            RejoinQuarantineTicks = (int)Math.Ceiling(3 * settings.MaxMessageAge / settings.TickInterval),
        };
        config.Validate();
        return config;
    }

    public void Start()
    {
        LogStarting(_logger, _members.SelfName, _members.SelfId, IncarnationHex, _core.Replica.DecidedIndex, _core.StateMachine.AppliedSlot);
        WarnIfPeersUnauthenticated();
        WarnIfPeersFlagDisagrees();
        _metrics.ReportZeros();

        // A thread of its own: a blocking fdatasync must not sit on a thread-pool thread that Kestrel needs.
        _loopThread = new Thread(RunLoop) { IsBackground = true, Name = "rkv-node-loop" };
        _loopThread.Start();
        _tickerThread = new Thread(RunTicker) { IsBackground = true, Name = "rkv-node-ticker" };
        _tickerThread.Start();
        StartRemovalWatch(_peerTls);
    }

    /// <summary>
    /// Admits a client write; the task completes with the state machine's result once applied here, or fails with a
    /// <see cref="TimeoutException"/> when <paramref name="budget"/> ran out first (an <see cref="OperationCanceledException"/>
    /// when <paramref name="ended"/> fired). The caller ends its wait with <see cref="EndWait"/>.
    /// </summary>
    internal PendingWrite? TryAdmitWrite(in KvCommand command, TimeSpan budget, CancellationToken ended)
    {
        if (!TryAdmit())
        {
            return null;
        }

        var write = new PendingWrite(Interlocked.Increment(ref _nextCaller), WatchFor(budget, ended));
        Enqueue(write, new ClientWriteInput(write, command));
        return write;
    }

    /// <summary>
    /// Admits a client read; linearizable reads complete once a quorum confirmed the leader's index and it is applied
    /// here. Its wait ends as a write's does (<see cref="TryAdmitWrite"/>).
    /// </summary>
    internal PendingRead? TryAdmitRead(string key, ReadKind kind, bool linearizable, TimeSpan budget, CancellationToken ended)
    {
        if (!TryAdmit())
        {
            return null;
        }

        var read = new PendingRead(Interlocked.Increment(ref _nextCaller), WatchFor(budget, ended));
        Enqueue(read, new ClientReadInput(read, key, kind, linearizable));
        return read;
    }

    /// <summary>Gives up on a request at its deadline: a write may still be applied, but nobody waits for it.</summary>
    internal void Abandon(PendingCall call, Exception reason)
    {
        if (_calls.TryRemove(call.Caller, out _))
        {
            call.Fail(reason);
            _inputs.Writer.TryWrite(new AbandonInput(call.Caller));
        }
    }

    /// <summary>The caller stopped waiting for <paramref name="call"/> (answered, refused or gone): its wait's hold on the admission place is done.</summary>
    internal void EndWait(PendingCall call) => Release(call);

    private void Enqueue(PendingCall call, NodeInput input)
    {
        _calls[call.Caller] = call;
        if (!_inputs.Writer.TryWrite(input))
        {
            Abandon(call, new ObjectDisposedException(nameof(KvNode), "the node is shutting down"));
            Release(call);
        }
    }

    internal Task<StatusResponse> StatusAsync(bool includeStateHash)
    {
        var reply = new TaskCompletionSource<StatusResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inputs.Writer.TryWrite(new StatusInput(includeStateHash, reply)))
        {
            reply.SetException(new ObjectDisposedException(nameof(KvNode)));
        }

        return reply.Task;
    }

    /// <summary>Requests admitted and not yet answered.</summary>
    public int PendingRequests => Volatile.Read(ref _pendingRequests);

    private bool TryAdmit()
    {
        if (Interlocked.Increment(ref _pendingRequests) > _settings.MaxPendingRequests)
        {
            Interlocked.Decrement(ref _pendingRequests);
            return false;
        }

        return true;
    }

    /// <summary>One of a request's two holds on its admission place is done (see <see cref="PendingCall"/>).</summary>
    private void Release(PendingCall request)
    {
        if (request.Release())
        {
            Interlocked.Decrement(ref _pendingRequests);
        }
    }

    void IPeerInbox.Deliver(int from, Wire.PeerBatch batch) => _inputs.Writer.TryWrite(new PeerBatchInput(from, batch));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _inputs.Writer.TryComplete();
        foreach (var task in new[] { _loopThread is null ? null : _loopDone.Task, _tickerThread is null ? null : _tickerDone.Task })
        {
            if (task is not null)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
                {
                }
                catch (Exception ex)
                {
                    // The loop already logged why it died; shutting down must still release the transport and storage.
                    LogDisposeAfterFailure(_logger, ex.GetType().Name);
                }
            }
        }

        await _removalWatch.ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);

        var stopping = new ObjectDisposedException(nameof(KvNode), "the node is shutting down");
        FailQueuedInputs(stopping);
        FailEverything(stopping);
        if (_snapshotTask is { } snapshot)
        {
            await snapshot.ConfigureAwait(false);
        }

        await _storage.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _inputArrived.Dispose();
    }
}
