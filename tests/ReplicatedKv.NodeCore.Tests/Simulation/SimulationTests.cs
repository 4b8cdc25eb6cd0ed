using System.Collections.Concurrent;
using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Simulation;
using Xunit.Abstractions;

namespace ReplicatedKv.NodeCore.Tests.Simulation;

/// <summary>
/// Seeded simulations of 3- and 5-node clusters of node cores (the routing rkv-server runs), with clients that send
/// to any node and retry, and a linearizability check of their history on every seed. SIM_SEEDS (seeds per cluster size), SIM_STEPS and
/// SIM_FIRST_SEED scale a run up; SIM_SEED with SIM_NODES replays one seed (see the replay line a failure prints).
/// </summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    private static readonly int SeedsPerSize = EnvironmentKnobs.Int("SIM_SEEDS", 1000);
    private static readonly int Steps = EnvironmentKnobs.Int("SIM_STEPS", 10_000);
    private static readonly ulong FirstSeed = (ulong)EnvironmentKnobs.Int("SIM_FIRST_SEED", 1);

    [Fact]
    public void Three_replica_clusters_stay_safe_and_live_under_faults() => RunSeeds(nodes: 3);

    [Fact]
    public void Five_replica_clusters_stay_safe_and_live_under_faults() => RunSeeds(nodes: 5);

    [Fact]
    public void A_cluster_whose_rounds_are_near_the_largest_still_elects_and_serves()
    {
        // A state loss would restart a node empty, and an empty node refuses rounds a million past what it has seen.
        var options = new SimulationOptions { Nodes = 3, Steps = 3000, StateLoss = false, StartRound = Ballot.MaxRound - 100_000 };
        for (var seed = 1UL; seed <= 20; seed++)
        {
            var simulator = new ClusterSimulator(options, seed);
            simulator.Run();
            simulator.Elections.Should().BeGreaterThan(0, $"seed {seed} must elect");
            simulator.CompletedCalls.Should().BeGreaterThan(0, $"seed {seed} must serve");
        }
    }

    [Fact]
    public void Replay()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("SIM_SEED"), out var s) ? s : FirstSeed;
        var options = new SimulationOptions { Nodes = EnvironmentKnobs.Int("SIM_NODES", 3), Steps = Steps };
        var simulator = new ClusterSimulator(options, seed);
        simulator.Run();
        output.WriteLine($"seed {seed}: {simulator.Chosen.Count} slots, {simulator.CompletedCalls} calls answered, {simulator.UnknownCalls} unknown, {simulator.Now} ticks ({simulator.FaultyTicks} faulty), {simulator.Elections} elections, {simulator.StateLosses} state losses, {simulator.VotesGained} votes gained");
        simulator.Chosen.Should().NotBeEmpty();
    }

    [Fact]
    public void The_same_seed_replays_the_same_run()
    {
        var options = new SimulationOptions { Nodes = 3, Steps = 2000 };
        var first = new ClusterSimulator(options, 42);
        var second = new ClusterSimulator(options, 42);
        first.Run();
        second.Run();
        second.Now.Should().Be(first.Now);
        second.Chosen.Keys.Should().Equal(first.Chosen.Keys);
        foreach (var (slot, value) in first.Chosen)
        {
            second.Chosen[slot].ContentEquals(value).Should().BeTrue($"slot {slot} must replay identically");
        }
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void An_acceptor_that_ignores_its_promise_is_caught()
    {
        var failure = FirstFailure(new SimulationOptions { Nodes = 3, Steps = Steps, Faults = new ReplicaFaults(AcceptBelowPromise: true, SkipRecoveredValues: false) });
        failure.Should().NotBeNull("accepting below a promise lets two ballots decide different values");
        failure!.Check.Should().BeOneOf(["agreement", "linearizability"], "either the replicas' logs or the clients' history shows it");
    }

    [Fact]
    public void A_leader_that_skips_recovered_values_is_caught()
    {
        var failure = FirstFailure(new SimulationOptions { Nodes = 3, Steps = Steps, Faults = new ReplicaFaults(AcceptBelowPromise: false, SkipRecoveredValues: true) });
        failure.Should().NotBeNull("a new leader that ignores accepted values overwrites decisions");
        failure!.Check.Should().BeOneOf(["agreement", "linearizability"], "either the replicas' logs or the clients' history shows it");
    }

    [Fact]
    public void A_replica_that_votes_at_once_after_losing_its_data_directory_is_caught()
    {
        // Without the learner phase a node restarted on an empty disk can form a quorum with peers that never saw
        // what its former self promised or accepted, and decide a slot a second time.
        var options = new SimulationOptions { Nodes = 3, Steps = Steps, Faults = new ReplicaFaults(false, false, VoteAfterStateLoss: true) };
        var (seed, failure) = FirstFailureWithSeed(options);
        failure.Should().NotBeNull("voting at once after losing state contradicts forgotten promises and acceptances");
        failure!.Check.Should().BeOneOf(["agreement", "linearizability"], "either the replicas' logs or the clients' history shows it");

        // The same seed with the real rule: the same faults, no violation. It is the rule that makes the difference.
        new ClusterSimulator(options with { Faults = default }, seed).Run();
    }

    [Fact]
    public void A_follower_that_reads_its_own_table_without_a_read_index_is_caught()
    {
        var options = new SimulationOptions { Nodes = 3, Steps = Steps, NodeFaults = new NodeFaults(FollowerReadsWithoutIndex: true) };
        var (seed, failure) = FirstFailureWithSeed(options);
        failure.Should().NotBeNull("a follower's table lags the leader's: a read served from it can miss an acknowledged write");
        failure!.Check.Should().Be("linearizability");
        new ClusterSimulator(options with { NodeFaults = default }, seed).Run();
    }

    [Fact]
    public void A_node_that_proposes_a_maybe_decided_write_again_without_a_request_id_is_caught()
    {
        var options = new SimulationOptions { Nodes = 3, Steps = Steps, NodeFaults = new NodeFaults(ReproposeMaybeDecided: true) };
        var (seed, failure) = FirstFailureWithSeed(options);
        failure.Should().NotBeNull("a write applied twice moves its key past later writes");
        failure!.Check.Should().Be("linearizability");
        new ClusterSimulator(options with { NodeFaults = default }, seed).Run();
    }
#endif

    [Fact]
    public void A_cluster_without_faults_decides_every_command()
    {
        // Run() itself fails unless every command still outstanding at the end is applied on every replica.
        var options = new SimulationOptions { Nodes = 3, Steps = 5000, Crashes = false, Partitions = false };
        var simulator = new ClusterSimulator(options, 7);
        simulator.Run();
        simulator.CompletedCalls.Should().BeGreaterThan(0);
        simulator.Chosen.Values.Should().Contain(v => v.Commands.Count > 1, "slots batch several commands");
        simulator.History.Should().Contain(o => o.Kind == Testing.History.OperationKind.Get && o.Outcome == Testing.History.OperationOutcome.Ok);
    }

    private void RunSeeds(int nodes)
    {
        var options = new SimulationOptions { Nodes = nodes, Steps = Steps };
        var failures = new ConcurrentBag<string>();
        long slots = 0, calls = 0, unknown = 0, losses = 0, votesGained = 0;
        Parallel.For(0, SeedsPerSize, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var seed = FirstSeed + (ulong)i;
            var simulator = new ClusterSimulator(options, seed);
            try
            {
                simulator.Run();
                Interlocked.Add(ref slots, simulator.Chosen.Count);
                Interlocked.Add(ref calls, simulator.CompletedCalls);
                Interlocked.Add(ref unknown, simulator.UnknownCalls);
                Interlocked.Add(ref losses, simulator.StateLosses);
                Interlocked.Add(ref votesGained, simulator.VotesGained);
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure.Message);
            }
        });

        output.WriteLine($"{SeedsPerSize} seeds x {Steps} steps, {nodes} replicas: {slots} slots decided, {calls} client calls answered and checked for linearizability ({unknown} unknown), " +
                         $"{losses} data directories lost, {votesGained} votes gained by probing or rejoining replicas");
        failures.Should().BeEmpty(because: string.Join(Environment.NewLine, failures.Take(5)));
    }

    private static SimulationFailure? FirstFailure(SimulationOptions options) => FirstFailureWithSeed(options).Failure;

    private static (ulong Seed, SimulationFailure? Failure) FirstFailureWithSeed(SimulationOptions options)
    {
        for (ulong seed = 1; seed <= 1000; seed++)
        {
            try
            {
                new ClusterSimulator(options, seed).Run();
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
}
