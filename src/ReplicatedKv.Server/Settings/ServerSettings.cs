namespace ReplicatedKv.Server.Settings;

/// <summary>How an empty data directory is treated (etcd's <c>--initial-cluster-state</c>, plus a safe default).</summary>
public enum InitialClusterState
{
    /// <summary>Ask the other members: a brand-new cluster bootstraps; an existing one makes this node a learner.</summary>
    Auto,

    /// <summary>The operator asserts the cluster is brand new: vote at once.</summary>
    New,

    /// <summary>The cluster exists and this node lost its data: rejoin as a non-voting learner.</summary>
    Existing,
}

/// <summary>Everything one node is configured with, validated. See <see cref="SettingsLoader"/> for names and defaults.</summary>
public sealed record ServerSettings
{
    public required string NodeId { get; init; }

    public required Uri ClientUrl { get; init; }

    public required Uri PeerUrl { get; init; }

    public required string Peers { get; init; }

    public required string DataDir { get; init; }

    public string ClusterId { get; init; } = "replicatedkv";

    /// <summary>The client URL other nodes tell clients about; defaults to <see cref="ClientUrl"/> with a wildcard host replaced.</summary>
    public required string AdvertiseClientUrl { get; init; }

    /// <summary>
    /// Every member's client URL (<c>n1=http://host1:7001,...</c>) for leader hints; a member left out is named
    /// in hints without a URL. Null: only this node's own URL is known.
    /// </summary>
    public string? MemberClientUrls { get; init; }

    /// <summary>The shared secret that authenticates peer streams (from a file or RKV_PEER_SECRET); null = none.</summary>
    public ReplicatedKv.Transport.Authentication.PeerSecret? PeerSecret { get; init; }

    /// <summary>Optional HTTP/1.1 listener for /healthz and /readyz (load balancers, docker); null = off.</summary>
    public Uri? AdminUrl { get; init; }

    public InitialClusterState InitialClusterState { get; init; } = InitialClusterState.Auto;

    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// No peer message is delivered later than this after it was sent (older ones are dropped): a memory guard, no
    /// longer a rule between healthy members. A node that lost its disk regains its vote by its incarnation id, with
    /// no wait (Consensus DESIGN.md, "Incarnations"); only an "auto" node probing an empty cluster, to bootstrap it,
    /// still waits three times this (KvNode.ReplicaConfigFor). 10 s: messages are dropped from 5 s old, four times the worst
    /// scheduling delay seen on a loaded machine (1.3 s, issue 19), while the first "auto" start of a brand-new cluster
    /// (the compose files' way) waits 30 s; a larger value only lengthens that wait (`new` never waits).
    /// </summary>
    public TimeSpan MaxMessageAge { get; init; } = DefaultMaxMessageAge;

    public static TimeSpan DefaultMaxMessageAge => TimeSpan.FromSeconds(10);

    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 2;

    public int Window { get; init; } = 64;

    public int MaxBatchCommands { get; init; } = 1024;

    public int MaxBatchBytes { get; init; } = 4 << 20;

    public int MaxKeyBytes { get; init; } = 1024;

    public int MaxValueBytes { get; init; } = 1 << 20;

    /// <summary>Client requests admitted but not yet answered; past this, RESOURCE_EXHAUSTED.</summary>
    public int MaxPendingRequests { get; init; } = 20_000;

    /// <summary>How long a request waits for a quorum when the client set no (shorter) deadline.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public long SnapshotEveryEntries { get; init; } = 100_000;

    public long SnapshotEveryBytes { get; init; } = 256L << 20;

    /// <summary>Slots kept in memory behind a snapshot, so a follower a little behind catches up from the log rather than a snapshot.</summary>
    public long CatchUpEntries { get; init; } = 10_000;

    public long SegmentBytes { get; init; } = 64L << 20;

    public string LogFormat { get; init; } = "text";

    public string LogLevel { get; init; } = "Information";

    /// <summary>Connections the client port keeps open at once; more are closed as soon as they are accepted.</summary>
    public int MaxClientConnections { get; init; } = 4096;

    /// <summary>Connections the peer port keeps open at once; members need a few each, so this bounds strangers.</summary>
    public int MaxPeerConnections { get; init; } = 128;

    /// <summary>A connection with no request in progress for this long is closed (Kestrel's keep-alive timeout).</summary>
    public TimeSpan IdleConnectionTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A client must send a request's headers within this time, or its connection is closed.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long the node loop may go without progress while work waits before health reports NOT_SERVING and
    /// client requests are refused with the reason; zero turns the watchdog off.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most slots a learner may lag the leader and still be promoted to voter: PromoteMember is refused above it,
    /// and a member added without <c>learner</c> is promoted by the leader once it is below it.
    /// </summary>
    public long MaxPromotionLag { get; init; } = 1000;

    /// <summary>TLS on the client and peer ports, and who may call the client API; plaintext and open by default.</summary>
    public SecuritySettings Security { get; init; } = SecuritySettings.Off;

    /// <summary>
    /// The thread pool's minimum worker threads, set at start (ThreadPool.SetMinThreads): below it the pool adds a
    /// thread at once when work waits, above it only about one or two a second, which a burst of clients (a whole
    /// cluster restarted under load) turns into seconds of Kestrel starvation. See <see cref="DefaultMinThreads"/>.
    /// </summary>
    public int MinThreads { get; init; } = DefaultMinThreads;

    /// <summary>Eight per core and at least 64: threads are cheap next to a stalled accept loop.</summary>
    public static int DefaultMinThreads => Math.Max(64, 8 * Environment.ProcessorCount);

    /// <summary>How long shutdown waits for in-flight requests to finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
