using System.Diagnostics;
using System.Diagnostics.Metrics;
using ReplicatedKv.Consensus;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Server.Metrics;

/// <summary>
/// One node's instruments, on a <see cref="Meter"/> of its own so that several nodes in one process (the in-process
/// test clusters) each export only their own numbers. Counters and histograms are recorded where things happen (the
/// node loop, the log's flusher, the client API); gauges read values the loop publishes once per round, because the
/// replica and the state machine may only be touched on the loop. Names and meanings are listed in README.md.
/// </summary>
public sealed class NodeMetrics : IWalSyncObserver, IDisposable
{
    public const string MeterName = "ReplicatedKv.Server";

    // Loopback gRPC calls take well under a millisecond; an fsync 0.1 to a few ms; anything near a second is trouble.
    private static readonly double[] SecondsBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // Batches run from 1 command (idle) to max-batch-commands (1024 by default) and beyond for an fsync of several slots.
    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    // Indexed by Role's value.
    private static readonly KeyValuePair<string, object?>[] RoleTags =
    [
        new("role", "follower"), new("role", "precandidate"), new("role", "candidate"), new("role", "leader"),
    ];

    private readonly Counter<long> _proposedCommands;
    private readonly Histogram<int> _proposalCommands;
    private readonly Counter<long> _forwardedCommands;
    private readonly Counter<long> _decidedSlots;
    private readonly Counter<long> _appliedSlots;
    private readonly Counter<long> _appliedCommands;
    private readonly Counter<long> _leaderChanges;
    private readonly Counter<long> _peerRejected;
    private readonly Histogram<double> _fsyncDuration;
    private readonly Histogram<int> _fsyncCommands;
    private readonly Counter<long> _clientCalls;
    private readonly Histogram<double> _clientCallDuration;

    // Written by the loop, read by the gauges on the scraping thread.
    private long _decidedIndex;
    private long _appliedIndex;
    private long _ballotRound;
    private int _role;
    private int _serving;
    private int _storageRefused;
    private int _loopStalled;
    private (string Name, Func<bool> IsReachable)[] _peers = [];

    // Loop-only: the decided index at the previous publication, so the counter grows by what was newly decided.
    private long? _lastDecided;

    public NodeMetrics()
    {
        Meter = new Meter(MeterName, BuildVersion.Current);
        _proposedCommands = Meter.CreateCounter<long>("rkv.proposed_commands", "{command}",
            "Client commands this node proposed as leader (its own and those forwarded to it)");
        _proposalCommands = Meter.CreateHistogram("rkv.proposal.commands", "{command}",
            "Commands per proposal: everything that arrived in one round of the node loop goes into one Propose", tags: null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        _forwardedCommands = Meter.CreateCounter<long>("rkv.forwarded_commands", "{command}",
            "Client commands this node forwarded to the leader");
        _decidedSlots = Meter.CreateCounter<long>("rkv.decided_slots", "{slot}", "Slots this node learned were decided");
        _appliedSlots = Meter.CreateCounter<long>("rkv.applied_slots", "{slot}", "Decided slots applied to the state machine, in order");
        _appliedCommands = Meter.CreateCounter<long>("rkv.applied_commands", "{command}", "Client commands applied to the state machine");
        _leaderChanges = Meter.CreateCounter<long>("rkv.leader_changes", "{change}",
            "Times this node came to know a new leader (after none, or another)");
        _peerRejected = Meter.CreateCounter<long>("rkv.peer.rejected", "{message}",
            "Peer messages refused (malformed, over a limit, unsolicited decided values, a round too far ahead, ...), by reason");
        _fsyncDuration = Meter.CreateHistogram("rkv.wal.fsync.duration", "s",
            "Duration of each group-commit fdatasync of the write-ahead log", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _fsyncCommands = Meter.CreateHistogram("rkv.wal.fsync.commands", "{command}",
            "Client commands made durable by one group-commit fdatasync", tags: null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        _clientCalls = Meter.CreateCounter<long>("rkv.client.calls", "{call}",
            "Client API calls answered by this node, by service, method and gRPC status");
        _clientCallDuration = Meter.CreateHistogram("rkv.client.call.duration", "s",
            "Time from a client call's arrival to its answer, by service, method and gRPC status", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

        Meter.CreateObservableGauge("rkv.decided_index", () => Volatile.Read(ref _decidedIndex), "{slot}", "Highest slot known decided");
        Meter.CreateObservableGauge("rkv.applied_index", () => Volatile.Read(ref _appliedIndex), "{slot}", "Highest slot applied to the state machine");
        Meter.CreateObservableGauge("rkv.apply_lag", () => Math.Max(0, Volatile.Read(ref _decidedIndex) - Volatile.Read(ref _appliedIndex)), "{slot}",
            "Slots decided but not yet applied here (a follower catching up)");
        Meter.CreateObservableGauge("rkv.is_leader", () => Volatile.Read(ref _role) == (int)Role.Leader ? 1 : 0, description: "1 while this node leads");
        Meter.CreateObservableGauge("rkv.role", ObserveRole, description: "1 for this node's current role, 0 for the others");
        Meter.CreateObservableGauge("rkv.ballot.round", () => Volatile.Read(ref _ballotRound), description:
            "Round of the ballot this node follows or leads under (a rise means an election)");
        Meter.CreateObservableGauge("rkv.serving", () => Volatile.Read(ref _serving), description:
            "1 while grpc health reports SERVING and /readyz answers 200 (Cluster.Status says why not)");
        Meter.CreateObservableGauge("rkv.storage.refused", () => Volatile.Read(ref _storageRefused), description:
            "1 while storage refuses writes (e.g. a full disk): writes and linearizable reads are refused with the reason");
        Meter.CreateObservableGauge("rkv.loop.stalled", () => Volatile.Read(ref _loopStalled), description:
            "1 while the node loop has made no progress for stall-timeout with work queued");
        Meter.CreateObservableGauge("rkv.peer.reachable", ObservePeers, description: "1 while the outbound stream to the peer is open");
        // The Prometheus convention for build facts: always 1, the facts are labels (join on it to group by version).
        Meter.CreateObservableGauge("rkv.build_info", () => new Measurement<int>(1, new KeyValuePair<string, object?>("version", BuildVersion.Current)),
            description: "Always 1; the version label is this rkv-server's build version");
    }

    /// <summary>The meter every instrument above belongs to; the exporter listens to this instance only.</summary>
    public Meter Meter { get; }

    /// <summary>Peers to report as reachable or not; set once, before the node starts.</summary>
    internal void TrackPeers((string Name, Func<bool> IsReachable)[] peers) => Volatile.Write(ref _peers, peers);

    /// <summary>
    /// Makes the untagged counters appear at 0 from the first scrape, so that a rate() sees their first increase.
    /// Call once the exporter listens (measurements made before are lost).
    /// </summary>
    internal void ReportZeros()
    {
        foreach (var counter in (Counter<long>[])[_proposedCommands, _forwardedCommands, _decidedSlots, _appliedSlots, _appliedCommands, _leaderChanges])
        {
            counter.Add(0);
        }
    }

    internal void Proposed(int commands)
    {
        _proposedCommands.Add(commands);
        _proposalCommands.Record(commands);
    }

    internal void Forwarded(int commands) => _forwardedCommands.Add(commands);

    internal void Applied(long slots, long commands)
    {
        _appliedSlots.Add(slots);
        _appliedCommands.Add(commands);
    }

    internal void LeaderChanged() => _leaderChanges.Add(1);

    /// <summary>One peer message refused; <paramref name="reason"/> is a short snake_case word.</summary>
    internal void PeerRejected(string reason) => _peerRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>On the loop: what the gauges show. The first call only sets the baseline (slots decided before a restart).</summary>
    internal void PublishLoopState(long decidedIndex, long appliedIndex, Role role, long ballotRound)
    {
        if (_lastDecided is { } last && decidedIndex > last)
        {
            _decidedSlots.Add(decidedIndex - last);
        }

        _lastDecided = decidedIndex;
        Volatile.Write(ref _decidedIndex, decidedIndex);
        Volatile.Write(ref _appliedIndex, appliedIndex);
        Volatile.Write(ref _ballotRound, ballotRound);
        Volatile.Write(ref _role, (int)role);
    }

    /// <summary>Whenever the published view changes (on the loop or the stall watchdog): what health reports and why.</summary>
    internal void PublishHealth(bool serving, bool storageRefused, bool loopStalled)
    {
        Volatile.Write(ref _serving, serving ? 1 : 0);
        Volatile.Write(ref _storageRefused, storageRefused ? 1 : 0);
        Volatile.Write(ref _loopStalled, loopStalled ? 1 : 0);
    }

    void IWalSyncObserver.OnSynced(TimeSpan duration, int commands, long bytes)
    {
        _fsyncDuration.Record(duration.TotalSeconds);
        _fsyncCommands.Record(commands);
    }

    internal void ClientCallFinished(string service, string method, string status, TimeSpan elapsed)
    {
        var tags = new TagList { { "service", service }, { "method", method }, { "status", status } };
        _clientCalls.Add(1, tags);
        _clientCallDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void Dispose() => Meter.Dispose();

    private Measurement<int>[] ObserveRole()
    {
        var current = Volatile.Read(ref _role);
        var measurements = new Measurement<int>[RoleTags.Length];
        for (var i = 0; i < RoleTags.Length; i++)
        {
            measurements[i] = new Measurement<int>(i == current ? 1 : 0, RoleTags[i]);
        }

        return measurements;
    }

    private Measurement<int>[] ObservePeers()
    {
        var peers = Volatile.Read(ref _peers);
        var measurements = new Measurement<int>[peers.Length];
        for (var i = 0; i < peers.Length; i++)
        {
            measurements[i] = new Measurement<int>(peers[i].IsReachable() ? 1 : 0, new KeyValuePair<string, object?>("peer", peers[i].Name));
        }

        return measurements;
    }
}
