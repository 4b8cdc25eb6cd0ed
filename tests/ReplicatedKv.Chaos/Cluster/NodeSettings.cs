using System.Globalization;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// The server flags every node of a chaos cluster gets besides its addresses: fast consensus timings, so a minute
/// holds many elections, and small snapshot thresholds, so restarted nodes catch up from snapshots too.
/// </summary>
internal sealed record NodeSettings
{
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 2;

    /// <summary>The server's default (10 s): the rejoin rule's bound on message age, and what an empty disk waits 3× of.</summary>
    public TimeSpan MaxMessageAge { get; init; } = TimeSpan.FromSeconds(10);

    public long SnapshotEveryEntries { get; init; } = 2_000;

    public long CatchUpEntries { get; init; } = 500;

    /// <summary>Sets RKV_FAILPOINTS=on, so the crash-in-fsync failpoint can be armed over the admin port.</summary>
    public bool EnableFailpoints { get; init; }

    public IReadOnlyList<string> Flags() =>
    [
        "--log-format", "json",
        "--tick-interval", Milliseconds(TickInterval),
        "--election-ticks", ElectionTicks.ToString(CultureInfo.InvariantCulture),
        "--heartbeat-ticks", HeartbeatTicks.ToString(CultureInfo.InvariantCulture),
        "--max-message-age", Milliseconds(MaxMessageAge),
        "--snapshot-every-entries", SnapshotEveryEntries.ToString(CultureInfo.InvariantCulture),
        "--catch-up-entries", CatchUpEntries.ToString(CultureInfo.InvariantCulture),
        "--shutdown-timeout", "2s",
    ];

    private static string Milliseconds(TimeSpan span) => ((long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}
