#if RKV_FAULT_INJECTION
using ReplicatedKv.Consensus;
using ReplicatedKv.Storage;
#endif

namespace ReplicatedKv.Testing.Simulation;

/// <summary>One simulated run: everything but the seed, which picks all the rest of the randomness.</summary>
internal sealed record SimulationOptions
{
    public int Nodes { get; init; } = 3;

    /// <summary>Steps of the faulty phase; each step is one event (a delivery, a tick, a crash, ...).</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>Simulated clients, each with one call outstanding at a time.</summary>
    public int Clients { get; init; } = 4;

    /// <summary>Keys the clients share: few, so calls on one key overlap and the linearizability check has work.</summary>
    public int Keys { get; init; } = 4;

    /// <summary>Ticks the healed cluster gets to finish every retried proposal before liveness fails.</summary>
    public int HealTicks { get; init; } = 3000;

    public bool Crashes { get; init; } = true;

    public bool Partitions { get; init; } = true;

    public bool Snapshots { get; init; } = true;

    /// <summary>Some crashes lose the node's whole data directory; it restarts empty in Probe or Rejoin mode.</summary>
    public bool StateLoss { get; init; } = true;

    /// <summary>
    /// Random membership changes mixed with the faults: add a node (it starts empty and catches up as a non-voting
    /// member), promote it, remove a member (the leader too). Replacing is a removal and an addition in turn.
    /// </summary>
    public bool Membership { get; init; }

    /// <summary>
    /// When above 0, the rejoin rule runs without message age (DESIGN.md, "Incarnations"): no quarantine, no message
    /// dropped for its age, and while the faults last a fifth of the messages are delayed up to this many ticks (make it
    /// several election timeouts or more; the healing phase goes back to the seed's short delays, while the long-delayed
    /// messages still in flight keep arriving). The probe path keeps its quarantine and assumption (A) (DESIGN.md, "What
    /// is left of the age rule"), so clusters start in Bootstrap mode and a lost disk restarts in Rejoin mode only.
    /// 0 keeps assumption (A): a quarantine of 20 ticks and messages older than 10 dropped.
    /// </summary>
    public int AgeFreeMaxDelay { get; init; }

    /// <summary>Share of seeds whose crashes may lose state, and the most of a seed's crashes that do.</summary>
    public double StateLossSeeds { get; init; } = 0.5;

    public double MaxStateLossShare { get; init; } = 0.5;

    /// <summary>
    /// When above 0, every node starts having promised this round (node 1's ballot), as a cluster does after a
    /// faulty member pushed the rounds near <see cref="ReplicatedKv.Consensus.Ballot.MaxRound"/>.
    /// </summary>
    public long StartRound { get; init; }

    /// <summary>
    /// When set, <see cref="ClusterSimulator.RunLiveness"/> holds this partial-connectivity shape instead of the
    /// random faulty phase: no random loss, crash or partition, only the shape's cut links (see Liveness/).
    /// </summary>
    public LivenessShape? Shape { get; init; }

    /// <summary>
    /// Runs every node on the real storage code over the page-losing file twin (<see cref="RealStorageDisk"/>)
    /// instead of the <see cref="SimDisk"/> model.
    /// </summary>
    public bool RealStorage { get; init; }

    /// <summary>Real storage only: the chance a crash also damages the unsynced tail it left in a log segment.</summary>
    public double UnsyncedDamageRate { get; init; } = 0.2;

    /// <summary>Real storage only: the chance a crash also damages synced log bytes, when the failure budget has room.</summary>
    public double SyncedDamageRate { get; init; } = 0.05;

    /// <summary>
    /// Real storage only: a loss or refusal after a crash that damaged nothing synced fails the run (check
    /// "storage"). Off, only the replicas' and clients' checks remain: what a silent loss does to the cluster.
    /// </summary>
    public bool CheckRecovery { get; init; } = true;

#if RKV_FAULT_INJECTION
    /// <summary>Deliberate protocol bugs, to prove the checkers catch them.</summary>
    public ReplicaFaults Faults { get; init; }

    /// <summary>Deliberate routing bugs in the node core, to prove the linearizability check catches them.</summary>
    public ReplicatedKv.NodeCore.NodeFaults NodeFaults { get; init; }

    /// <summary>Deliberate storage bugs (real storage only), to prove the crash model and the checks catch them.</summary>
    public StorageFaults StorageFaults { get; init; }
#endif

    /// <summary>The command line that replays exactly one seed of this configuration.</summary>
    public string ReplayCommand(ulong seed) => AgeFreeMaxDelay > 0
        ? $"SIM_SEED={seed} SIM_NODES={Nodes} SIM_STEPS={Steps}{(Membership ? " SIM_MEMBERSHIP=1" : "")} dotnet test tests/ReplicatedKv.NodeCore.Tests --filter \"FullyQualifiedName~AgeFreeSimulationTests.Replay\""
        : Shape is { } shape
        ? $"SIM_SEED={seed} SIM_SHAPE={shape} dotnet test tests/ReplicatedKv.NodeCore.Tests --filter \"FullyQualifiedName~LivenessTests.Replay\""
        : Membership ? $"SIM_SEED={seed} SIM_NODES={Nodes} SIM_STEPS={Steps} dotnet test tests/ReplicatedKv.NodeCore.Tests --filter \"FullyQualifiedName~MembershipSimulationTests.Replay\""
        : $"SIM_SEED={seed} SIM_NODES={Nodes} SIM_STEPS={Steps} dotnet test tests/ReplicatedKv.NodeCore.Tests --filter \"FullyQualifiedName~{(RealStorage ? "RealStorageSimulationTests" : "Simulation.SimulationTests")}.Replay\"";
}
