using ReplicatedKv.Testing.Checking;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// Property: every history a sequential store could have produced under concurrency is linearizable, and breaking
/// one read always makes it not. Seeds are fixed, so a failure names a history that can be regenerated.
/// </summary>
public sealed class GeneratedHistoryTests
{
    private const int HistoriesPerSeed = 25;

    public static TheoryData<int> Seeds => [.. Enumerable.Range(0, 8)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Histories_from_a_sequential_store_are_linearizable_and_a_broken_read_is_caught(int seed)
    {
        var random = new Random(seed);
        var (stale, missing) = (0, 0);
        for (var i = 0; i < HistoriesPerSeed; i++)
        {
            var settings = new HistoryGenerator.Settings(
                Seed: (seed * 1000) + i,
                Operations: random.Next(20, 300),
                Keys: random.Next(1, 5),
                Clients: random.Next(1, 9),
                UnknownRate: random.NextDouble() * 0.2,
                FailedRate: random.NextDouble() * 0.05);
            var history = new HistoryGenerator(settings).Generate();

            var result = LinearizabilityChecker.Check(history);

            result.Violations.Should().BeEmpty($"{settings} is linearizable by construction");
            result.IsLinearizable.Should().BeTrue($"{settings} is linearizable by construction");

            if (HistoryMutation.MakeOneReadStale(history, random) is var (withStaleRead, staleRead))
            {
                stale++;
                ShouldBeCaught(LinearizabilityChecker.Check(withStaleRead), staleRead.Key, $"#{staleRead.Id} was made stale in {settings}");
            }

            if (HistoryMutation.MakeReadMissAPresentKey(history, random) is var (withMissingRead, missingRead))
            {
                missing++;
                var caught = LinearizabilityChecker.Check(withMissingRead);
                ShouldBeCaught(caught, missingRead.Key, $"#{missingRead.Id} was made to miss a present key in {settings}");
                caught.Violations[0].Explanation.Should().StartWith("Not linearizable:", "versions say nothing about an absent read, the search must see it");
            }
        }

        stale.Should().BeGreaterThan(HistoriesPerSeed / 2, "most generated histories have a read that can be made stale");
        missing.Should().BeGreaterThan(HistoriesPerSeed / 2, "most generated histories have a read between two reads of one write");
    }

    [Fact]
    public void One_hot_key_with_many_clients_and_many_unknown_outcomes_is_checked()
    {
        var settings = new HistoryGenerator.Settings(Seed: 42, Operations: 2_000, Keys: 1, Clients: 12, UnknownRate: 0.15);
        var history = new HistoryGenerator(settings).Generate();

        LinearizabilityChecker.Check(history).IsLinearizable.Should().BeTrue();

        var (broken, staleRead) = HistoryMutation.MakeOneReadStale(history, new Random(42))!.Value;
        ShouldBeCaught(LinearizabilityChecker.Check(broken), staleRead.Key, "a read was made stale");
    }

    private static void ShouldBeCaught(LinearizabilityResult result, string key, string because)
    {
        result.IsLinearizable.Should().BeFalse(because);
        result.TimedOut.Should().BeFalse(because);
        result.Violations.Should().ContainSingle(because).Which.Key.Should().Be(key);
    }
}
