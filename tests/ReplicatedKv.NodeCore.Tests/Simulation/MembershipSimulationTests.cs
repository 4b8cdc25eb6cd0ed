#if RKV_FAULT_INJECTION
using ReplicatedKv.Consensus;
#endif
using System.Collections.Concurrent;
using ReplicatedKv.Testing.Simulation;
using Xunit.Abstractions;

namespace ReplicatedKv.NodeCore.Tests.Simulation;

/// <summary>
/// Seeded simulations with membership changes (nodes added empty, promoted, removed, the leader too) mixed with every
/// fault of <see cref="SimulationTests"/>: agreement, in-order apply, one change at a time and linearizability must hold
/// across configurations. MEMBERSHIP_SEEDS scales the sweep; SIM_SEED with SIM_NODES replays one seed.
/// </summary>
public sealed class MembershipSimulationTests(ITestOutputHelper output)
{
    private static readonly int Seeds = EnvironmentKnobs.Int("MEMBERSHIP_SEEDS", 400);
    private static readonly int Steps = EnvironmentKnobs.Int("SIM_STEPS", 10_000);
    private static readonly ulong FirstSeed = (ulong)EnvironmentKnobs.Int("SIM_FIRST_SEED", 1);

    [Fact]
    public void Three_replica_clusters_stay_safe_and_live_while_members_come_and_go()
    {
        var (configurations, removedLeaders) = RunSeeds(nodes: 3);
        configurations.Should().BeGreaterThan(Seeds, "membership changes must really happen, more than one per seed on average");
        removedLeaders.Should().BeGreaterThan(0, "some changes must remove the leader");
    }

    [Fact]
    public void Five_replica_clusters_stay_safe_and_live_while_members_come_and_go()
    {
        var seeds = Math.Max(1, Seeds / 3);
        RunSeeds(nodes: 5, seeds).Configurations.Should().BeGreaterThan(seeds / 2, "membership changes must really happen");
    }

    [Fact]
    public void Replay()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("SIM_SEED"), out var s) ? s : FirstSeed;
        var options = new SimulationOptions { Nodes = EnvironmentKnobs.Int("SIM_NODES", 3), Steps = Steps, Membership = true };
        using var simulator = new ClusterSimulator(options, seed);
        simulator.Run();
        output.WriteLine($"seed {seed}: {simulator.Chosen.Count} slots, {simulator.CompletedCalls} calls, {simulator.ConfigurationsDecided} configurations decided, " +
                         $"{simulator.MembershipRefusals} refused, latest {simulator.LatestConfiguration}");
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void A_configuration_that_governs_at_once_with_two_changes_in_flight_is_caught()
    {
        // The next slot is already counted in the new configuration while the leader's pipelined slots were counted in
        // the old one, and a second change is proposed before the first governs.
        var options = new SimulationOptions { Nodes = 3, Steps = Steps, Membership = true, Faults = new ReplicaFaults(false, false, ConfigurationAtOnce: true) };
        var (seed, failure) = FirstFailureWithSeed(options);
        failure.Should().NotBeNull("two changes in flight break the one-configuration-per-slot rule");
        failure!.Check.Should().BeOneOf(["membership", "agreement", "linearizability"]);
        output.WriteLine($"seed {seed}: {failure.Message}");
        using var healthy = new ClusterSimulator(options with { Faults = default }, seed);
        healthy.Run();
    }

    [Fact]
    public void A_non_voting_member_whose_acceptance_counts_is_caught()
    {
        // Counting a non-voter lets a leader decide with fewer voters than a majority: two leaders then decide one slot twice.
        var options = new SimulationOptions { Nodes = 3, Steps = Steps, Membership = true, Faults = new ReplicaFaults(false, false, NonVoterCounts: true) };
        var (seed, failure) = FirstFailureWithSeed(options);
        failure.Should().NotBeNull("a quorum padded with a non-voter need not meet another quorum of voters");
        failure!.Check.Should().BeOneOf(["agreement", "linearizability"]);
        output.WriteLine($"seed {seed}: {failure.Message}");
        using var healthy = new ClusterSimulator(options with { Faults = default }, seed);
        healthy.Run();
    }

    private static (ulong Seed, SimulationFailure? Failure) FirstFailureWithSeed(SimulationOptions options)
    {
        for (ulong seed = 1; seed <= 1000; seed++)
        {
            try
            {
                using var simulator = new ClusterSimulator(options, seed);
                simulator.Run();
            }
            catch (SimulationFailure failure) when (failure.Check is not ("liveness" or "invariant"))
            {
                return (seed, failure);
            }
            catch (SimulationFailure)
            {
                // A broken protocol may also stall or trip an invariant; keep looking for the violation it causes.
            }
        }

        return (0, null);
    }
#endif

    private (long Configurations, long RemovedLeaders) RunSeeds(int nodes, int? seeds = null)
    {
        var count = seeds ?? Seeds;
        var options = new SimulationOptions { Nodes = nodes, Steps = Steps, Membership = true };
        var failures = new ConcurrentBag<string>();
        long slots = 0, calls = 0, configurations = 0, refusals = 0, losses = 0, removedLeaders = 0, transfers = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var seed = FirstSeed + (ulong)i;
            using var simulator = new ClusterSimulator(options, seed);
            try
            {
                simulator.Run();
                Interlocked.Add(ref slots, simulator.Chosen.Count);
                Interlocked.Add(ref calls, simulator.CompletedCalls);
                Interlocked.Add(ref configurations, simulator.ConfigurationsDecided);
                Interlocked.Add(ref refusals, simulator.MembershipRefusals);
                Interlocked.Add(ref losses, simulator.StateLosses);
                Interlocked.Add(ref removedLeaders, simulator.LeadersRemoved);
                Interlocked.Add(ref transfers, simulator.TransfersStarted);
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure.Message);
            }
        });

        output.WriteLine($"{count} seeds x {Steps} steps, {nodes} replicas: {slots} slots, {calls} client calls checked, {configurations} configurations decided " +
                         $"({removedLeaders} removing the leader), {refusals} changes refused, {transfers} leader transfers started, {losses} data directories lost");
        transfers.Should().BeGreaterThan(0, "leader transfers must be mixed in");
        failures.Should().BeEmpty(because: string.Join(Environment.NewLine, failures.Take(5)));
        return (configurations, removedLeaders);
    }
}
