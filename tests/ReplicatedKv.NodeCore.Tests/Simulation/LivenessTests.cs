using System.Collections.Concurrent;
using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Simulation;
using Xunit.Abstractions;

namespace ReplicatedKv.NodeCore.Tests.Simulation;

/// <summary>
/// Issue 21: elections stay live under partial connectivity. Each shape is held for 50 election timeouts while
/// clients keep proposing; a command proposed through the node that reaches a majority must be decided within 5
/// election timeouts, the leader may change at most twice, and after the heal a command through any node is decided
/// within 2. SIM_LIVENESS_SEEDS scales the seeds per shape; SIM_SEED with SIM_SHAPE replays one.
/// </summary>
public sealed class LivenessTests(ITestOutputHelper output)
{
    private static readonly int SeedsPerShape = EnvironmentKnobs.Int("SIM_LIVENESS_SEEDS", 200);

    [Theory]
    [InlineData(LivenessShape.Chained)]
    [InlineData(LivenessShape.QuorumLoss)]
    [InlineData(LivenessShape.ConstrainedElection)]
    public void Elections_stay_live_while_the_shape_holds(LivenessShape shape)
    {
        var options = Options(shape);
        var results = new ConcurrentBag<LivenessResult>();
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, SeedsPerShape, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try
            {
                results.Add(new ClusterSimulator(options, 1 + (ulong)i).RunLiveness());
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure.Message);
            }
        });

        if (!results.IsEmpty)
        {
            output.WriteLine($"{shape}, {results.Count} seeds (10 ticks = 1 election timeout): first decided after {Spread(results.Select(r => r.FirstDecided))} ticks, " +
                             $"worst probe {Spread(results.Select(r => r.WorstDecided))}, leader changes {Spread(results.Select(r => (long)r.LeaderChanges))}, " +
                             $"after the heal {Spread(results.Select(r => r.HealedDecided))}, lag at the start {Spread(results.Select(r => r.Lag))} slots");
        }

        failures.Should().BeEmpty(because: string.Join(Environment.NewLine, failures.Take(5)));
    }

    [Fact]
    public void Replay()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("SIM_SEED"), out var s) ? s : 1;
        var shape = Enum.TryParse<LivenessShape>(Environment.GetEnvironmentVariable("SIM_SHAPE"), out var parsed) ? parsed : LivenessShape.ConstrainedElection;
        var result = new ClusterSimulator(Options(shape), seed).RunLiveness();
        output.WriteLine(result.ToString());
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void Elections_without_pre_vote_are_caught()
    {
        // Nodes linked only to the hub keep preparing higher ballots; the hub's refusals cannot stop their Nacks deposing it.
        CaughtIn(LivenessShape.QuorumLoss, new ReplicaFaults(false, false, NoPreVote: true)).Should().NotBeNull(
            "without pre-vote a node that reaches no majority still raises ballots and deposes the leader");
    }

    [Fact]
    public void Promising_while_a_live_leader_is_heard_is_caught()
    {
        CaughtIn(LivenessShape.Chained, new ReplicaFaults(false, false, PromiseDespiteLiveLeader: true)).Should().NotBeNull(
            "the follower cut from the leader takes over through the middle node, then the old leader takes it back");
    }

    [Fact]
    public void Raft_vote_rule_that_refuses_a_shorter_log_is_caught()
    {
        CaughtIn(LivenessShape.ConstrainedElection, new ReplicaFaults(false, false, RefuseShorterLog: true)).Should().NotBeNull(
            "the only node that reaches a majority has the oldest log, and no acceptor helps it");
    }

    /// <summary>The first liveness failure among a few seeds, after checking that the same seed passes without the fault.</summary>
    private SimulationFailure? CaughtIn(LivenessShape shape, ReplicaFaults faults)
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            try
            {
                new ClusterSimulator(Options(shape) with { Faults = faults }, seed).RunLiveness();
            }
            catch (SimulationFailure failure) when (failure.Check == "liveness")
            {
                output.WriteLine(failure.Message);

                // It is the fault that makes the difference: the same seed passes with the real rules.
                new ClusterSimulator(Options(shape), seed).RunLiveness();
                return failure;
            }
        }

        return null;
    }
#endif

    private static SimulationOptions Options(LivenessShape shape) =>
        new() { Nodes = LivenessRun.Nodes(shape), Shape = shape, Crashes = false, Partitions = false, StateLoss = false };

    private static string Spread(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        return $"median {sorted[sorted.Length / 2]}, p99 {sorted[(int)(sorted.Length * 0.99)]}, max {sorted[^1]}";
    }
}
