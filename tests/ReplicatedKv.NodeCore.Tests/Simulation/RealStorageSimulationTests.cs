using System.Collections.Concurrent;
using System.Diagnostics;
using ReplicatedKv.Testing.Simulation;
using Xunit.Abstractions;
#if RKV_FAULT_INJECTION
using ReplicatedKv.Storage;
#endif

namespace ReplicatedKv.NodeCore.Tests.Simulation;

/// <summary>
/// The seeded simulator with every node on the real storage code (NodeStorage, the write-ahead log, its recovery
/// and the snapshot store) over the file twin whose crashes keep any pages of unsynced writes and any prefix of
/// unsynced folder changes, plus flipped bits and zeroed ranges in unsynced tails and, within the failure budget,
/// in synced log bytes. The same agreement, validity, non-voter and linearizability checks as the model-disk runs,
/// and one more: a crash that damaged nothing synced must never make recovery report a loss or refuse.
/// SIM_STORAGE_SEEDS (seeds per cluster size) and SIM_STEPS scale it up; SIM_SEED with SIM_NODES replays one seed.
/// </summary>
public sealed class RealStorageSimulationTests(ITestOutputHelper output)
{
    private static readonly int SeedsPerSize = EnvironmentKnobs.Int("SIM_STORAGE_SEEDS", 250);
    private static readonly int Steps = EnvironmentKnobs.Int("SIM_STEPS", 10_000);
    private static readonly ulong FirstSeed = (ulong)EnvironmentKnobs.Int("SIM_FIRST_SEED", 1);

    [Fact]
    public void Three_replica_clusters_on_real_storage_stay_safe_and_live_through_lost_pages_and_damage() => RunSeeds(nodes: 3);

    [Fact]
    public void Five_replica_clusters_on_real_storage_stay_safe_and_live_through_lost_pages_and_damage() => RunSeeds(nodes: 5);

    [Fact]
    public void Replay()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("SIM_SEED"), out var s) ? s : FirstSeed;
        using var simulator = new ClusterSimulator(Options(EnvironmentKnobs.Int("SIM_NODES", 3)), seed);
        simulator.Run();
        output.WriteLine($"seed {seed}: {simulator.Chosen.Count} slots, {simulator.CompletedCalls} calls answered, {simulator.Elections} elections, " +
                         $"{simulator.StorageLosses} recoveries that found synced records lost, {simulator.StorageRefusals} refusals");
        simulator.Chosen.Should().NotBeEmpty();
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void A_log_that_acknowledges_records_before_their_fsync_is_caught_by_recovery()
    {
        // No deliberate damage: whatever goes wrong is the skipped fsync's doing.
        var options = Options(3) with { StorageFaults = new StorageFaults(SkipFsync: true), UnsyncedDamageRate = 0, SyncedDamageRate = 0 };
        var (seed, failure) = FirstViolation(options);
        failure.Should().NotBeNull("records acknowledged but never synced are lost at a crash, short of the durable mark");
        failure!.Check.Should().Be("storage");

        // The same seed with the fsync: no violation. It is the skipped fsync that makes the difference.
        using var sound = new ClusterSimulator(options with { StorageFaults = default }, seed);
        sound.Run();
    }

    [Fact]
    public void A_log_that_acknowledges_records_before_their_fsync_is_caught_by_the_replicas_or_clients_when_the_loss_goes_unnoticed()
    {
        // Without the recovery check a loss the durable mark reveals is repaired (the node rejoins, which is safe);
        // one it misses (the mark's own unsynced page lost too) leaves a voter that forgot what it promised.
        var options = Options(3) with { StorageFaults = new StorageFaults(SkipFsync: true), UnsyncedDamageRate = 0, SyncedDamageRate = 0, CheckRecovery = false };
        var (seed, failure) = FirstViolation(options);
        failure.Should().NotBeNull("a voter that forgot acknowledged promises and acceptances can let a slot be decided twice");
        failure!.Check.Should().BeOneOf(["agreement", "linearizability"], "either the replicas' logs or the clients' history shows it");
        output.WriteLine($"seed {seed}: {failure.Message}");

        using var sound = new ClusterSimulator(options with { StorageFaults = default }, seed);
        sound.Run();
    }

    private static (ulong Seed, SimulationFailure? Failure) FirstViolation(SimulationOptions options)
    {
        for (var seed = 1UL; seed <= 500; seed++)
        {
            using var simulator = new ClusterSimulator(options, seed);
            try
            {
                simulator.Run();
            }
            catch (SimulationFailure failure) when (failure.Check is not ("liveness" or "invariant"))
            {
                return (seed, failure);
            }
            catch (SimulationFailure)
            {
                // Lost promises may also stall a cluster or trip an invariant; keep looking for the violation they cause.
            }
        }

        return (0, null);
    }
#endif

    private static SimulationOptions Options(int nodes) => new() { Nodes = nodes, Steps = Steps, RealStorage = true };

    private void RunSeeds(int nodes)
    {
        var options = Options(nodes);
        var failures = new ConcurrentBag<string>();
        var refusals = new ConcurrentBag<string>();
        long slots = 0, calls = 0, losses = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, SeedsPerSize, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var seed = FirstSeed + (ulong)i;
            using var simulator = new ClusterSimulator(options, seed);
            try
            {
                simulator.Run();
                Interlocked.Add(ref slots, simulator.Chosen.Count);
                Interlocked.Add(ref calls, simulator.CompletedCalls);
                Interlocked.Add(ref losses, simulator.StorageLosses);
                foreach (var reason in simulator.RefusalReasons)
                {
                    refusals.Add($"seed {seed}: {reason}");
                }
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure.Message);
            }
        });

        output.WriteLine($"{SeedsPerSize} seeds x {Steps} steps, {nodes} replicas on real storage in {clock.Elapsed.TotalSeconds:F1} s: {slots} slots decided, " +
                         $"{calls} client calls answered and checked for linearizability, {losses} recoveries found synced records lost (rejoined), {refusals.Count} refused");
        foreach (var refusal in refusals.Take(10))
        {
            output.WriteLine("  refused: " + refusal);
        }

        failures.Should().BeEmpty(because: string.Join(Environment.NewLine, failures.Take(5)));
    }
}
