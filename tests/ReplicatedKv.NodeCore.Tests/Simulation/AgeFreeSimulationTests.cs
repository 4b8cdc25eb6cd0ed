using System.Collections.Concurrent;
#if RKV_FAULT_INJECTION
using ReplicatedKv.Consensus;
#endif
using ReplicatedKv.Testing.Simulation;
using Xunit.Abstractions;

namespace ReplicatedKv.NodeCore.Tests.Simulation;

/// <summary>
/// Issue 19: the rejoin rule without message age (src/ReplicatedKv.Consensus/DESIGN.md, "Incarnations"). No quarantine
/// for a rejoining learner, no message dropped for its age, and while the faults last a fifth of the messages wait up to
/// several election timeouts (10 ticks each); lost disks restart as learners with a fresh incarnation. Every seed must
/// keep agreement and a linearizable history, and once the faults end (messages still in flight keep arriving late) the
/// cluster must elect a leader, bring every member back to voting and finish every call. SIM_AGE_FREE_SEEDS (seeds per
/// cluster size) and SIM_STEPS scale a run up; SIM_SEED with SIM_NODES (and SIM_MEMBERSHIP=1) replays one seed.
/// </summary>
public sealed class AgeFreeSimulationTests(ITestOutputHelper output)
{
    /// <summary>Four election timeouts: far above the retry and election intervals the protocol runs on.</summary>
    public const int MaxDelay = 40;

    private static readonly int SeedsPerSize = EnvironmentKnobs.Int("SIM_AGE_FREE_SEEDS", 100);
    private static readonly int Steps = EnvironmentKnobs.Int("SIM_STEPS", 10_000);

    private static SimulationOptions Options(int nodes, bool membership = false) =>
        new() { Nodes = nodes, Steps = Steps, AgeFreeMaxDelay = MaxDelay, StateLossSeeds = 1.0, Membership = membership };

    [Fact]
    public void Three_replica_clusters_stay_safe_and_regain_a_leader_after_long_delays() => RunSeeds(nodes: 3);

    [Fact]
    public void Five_replica_clusters_stay_safe_and_regain_a_leader_after_long_delays() => RunSeeds(nodes: 5, seeds: Math.Max(1, SeedsPerSize / 3));

    /// <summary>With membership changes mixed in (DESIGN.md: the b &gt; bL case of (M) is argued for a fixed membership).</summary>
    [Fact]
    public void Clusters_changing_membership_stay_safe_and_regain_a_leader_after_long_delays() =>
        RunSeeds(nodes: 3, seeds: Math.Max(1, SeedsPerSize / 3), membership: true);

    /// <summary>
    /// The seed that showed the fence-ordering flaw (DESIGN.md, "Ordering fences"): a fence request of a lost incarnation,
    /// delayed past its successor's fence, got the newer record, and the healed cluster stalled for good. With the
    /// challenge it heals (<see cref="A_fence_without_a_live_answer_is_caught"/> shows the same seed stall without it).
    /// </summary>
    [Fact]
    public void The_seed_that_found_the_fence_ordering_flaw_heals()
    {
        var simulator = new ClusterSimulator(Options(3) with { Steps = 10_000 }, FenceOrderingSeed);
        simulator.Run();
        simulator.StateLosses.Should().BeGreaterThan(0, "the seed loses data directories");
        simulator.VotesGained.Should().BeGreaterThan(0, "the rejoining learners regain their vote");
    }

    // Seed 29 found the flaw; once election timers were drawn from a narrower spread (issue 19, failover) its schedule
    // no longer shows it, and a search of seeds 1-3,000 with the broken variant found this one, which does.
    private const ulong FenceOrderingSeed = 256;

    [Fact]
    public void Replay()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("SIM_SEED"), out var s) ? s : 1;
        var simulator = new ClusterSimulator(Options(EnvironmentKnobs.Int("SIM_NODES", 3), EnvironmentKnobs.Int("SIM_MEMBERSHIP", 0) == 1), seed);
        simulator.Run();
        output.WriteLine($"seed {seed}: {simulator.Chosen.Count} slots, {simulator.CompletedCalls} calls answered, {simulator.Elections} elections, " +
                         $"{simulator.StateLosses} state losses, {simulator.VotesGained} votes gained");
    }

#if RKV_FAULT_INJECTION
    /// <summary>
    /// The leader gives a fence (and records the incarnation) on a request, without the challenge that proves the
    /// incarnation alive: a late request of a lost incarnation is recorded above its successor. The same seed with the
    /// challenge passes.
    /// </summary>
    [Fact]
    public void A_fence_without_a_live_answer_is_caught()
    {
        var options = Options(3) with { Steps = 10_000, Faults = new ReplicaFaults(false, false, FenceWithoutChallenge: true) };
        var failure = FluentActions.Invoking(() => new ClusterSimulator(options, FenceOrderingSeed).Run())
            .Should().Throw<SimulationFailure>("a lost incarnation's late fence request makes it the newest record").Which;
        failure.Check.Should().Be("liveness", "the tables converge on the lost incarnation: the live one's promises are refused for good");
        output.WriteLine(failure.Message);
        new ClusterSimulator(options with { Faults = default }, FenceOrderingSeed).Run();
    }
#endif

    private void RunSeeds(int nodes, int? seeds = null, bool membership = false)
    {
        var count = seeds ?? SeedsPerSize;
        var options = Options(nodes, membership);
        var failures = new ConcurrentBag<string>();
        long slots = 0, calls = 0, losses = 0, votesGained = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var simulator = new ClusterSimulator(options, 1 + (ulong)i);
            try
            {
                simulator.Run();
                Interlocked.Add(ref slots, simulator.Chosen.Count);
                Interlocked.Add(ref calls, simulator.CompletedCalls);
                Interlocked.Add(ref losses, simulator.StateLosses);
                Interlocked.Add(ref votesGained, simulator.VotesGained);
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure.Message);
            }
        });

        output.WriteLine($"{count} seeds x {Steps} steps, {nodes} replicas, delays up to {MaxDelay} ticks, no message age: {slots} slots decided, " +
                         $"{calls} calls answered, {losses} data directories lost, {votesGained} votes regained");
        failures.Should().BeEmpty(because: string.Join(Environment.NewLine, failures.Take(5)));
        losses.Should().BeGreaterThan(0, "the sweep must lose data directories to exercise the rejoin rule");
        votesGained.Should().BeGreaterThan(0, "rejoining learners must regain their vote");
    }
}
