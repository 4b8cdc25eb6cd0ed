using ReplicatedKv.Testing.Checking;

namespace ReplicatedKv.Chaos.Tests;

public sealed class SequentialAndConcurrentHistoryTests
{
    [Fact]
    public void A_sequential_history_that_follows_the_store_is_linearizable()
    {
        var h = new HistoryBuilder();
        h.GetAbsent("k", 0, 10);
        h.Set("k", "a", 20, 30, version: 1);
        h.Get("k", 40, 50, "a", 1);
        h.Set("j", "x", 55, 58, version: 2);
        h.Set("k", "b", 60, 70, version: 3);
        h.Get("k", 80, 90, "b", 3);
        h.Remove("k", 100, 110, version: 4);
        h.GetAbsent("k", 120, 130);
        h.Get("j", 140, 150, "x", 2);

        var result = h.Check();

        result.Should().Be(result with { IsLinearizable = true, TimedOut = false, KeysChecked = 2, OperationsChecked = 9 });
        result.Violations.Should().BeEmpty();
    }

    [Theory]
    [InlineData("a", 1UL)]
    [InlineData("b", 2UL)]
    public void A_read_concurrent_with_two_writes_may_see_either(string seen, ulong version)
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 100, version: 1);
        h.Set("k", "b", 0, 100, version: 2);
        h.Get("k", 10, 90, seen, version);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void After_two_concurrent_writes_complete_a_read_sees_the_one_applied_last()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 100, version: 1);
        h.Set("k", "b", 0, 100, version: 2);
        h.Get("k", 110, 120, "b", 2);
        var wrong = h.Get("k", 130, 140, "a", 1);

        var result = h.Check();

        result.IsLinearizable.Should().BeFalse();
        result.Violations.Should().ContainSingle().Which.Operations.Should().Contain(wrong);
    }

    [Fact]
    public void A_stale_read_after_a_completed_write_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 30, version: 2);
        var stale = h.Get("k", 40, 50, "a", 1);

        var result = h.Check();

        result.IsLinearizable.Should().BeFalse();
        var violation = result.Violations.Should().ContainSingle().Subject;
        violation.Key.Should().Be("k");
        violation.Operations[0].Should().Be(stale);
        violation.Explanation.Should().Contain($"#{stale.Id}").And.Contain("\"b\"");
    }

    [Fact]
    public void An_acknowledged_write_that_is_lost_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Get("k", 15, 20, "a", 1);
        h.Set("k", "b", 25, 30, version: 2);
        h.Get("k", 40, 50, "a", 1);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void An_acknowledged_first_write_that_is_lost_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.GetAbsent("k", 20, 30);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void A_write_that_appears_then_disappears_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 100, version: 2);
        h.Get("k", 30, 40, "b", 2);
        h.Get("k", 50, 60, "a", 1);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void Reads_during_a_slow_write_may_flip_from_old_to_new_but_not_back()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 100, version: 2);
        h.Get("k", 30, 40, "a", 1);
        h.Get("k", 50, 60, "b", 2);
        h.Get("k", 70, 80, "b", 2);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void Operations_that_merely_touch_in_time_count_as_concurrent()
    {
        // The clock cannot order two events at the same nanosecond, so the read may have taken effect first.
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.GetAbsent("k", 10, 20);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void A_violation_on_one_key_is_reported_for_that_key_only()
    {
        var h = new HistoryBuilder();
        h.Set("good", "g1", 0, 10, version: 1);
        h.Get("good", 20, 30, "g1", 1);
        h.Set("bad", "b1", 0, 10, version: 2);
        h.Set("bad", "b2", 20, 30, version: 3);
        h.Get("bad", 40, 50, "b1", 2);

        var result = h.Check();

        result.IsLinearizable.Should().BeFalse();
        result.KeysChecked.Should().Be(2);
        result.Violations.Select(v => v.Key).Should().Equal("bad");
    }

    [Fact]
    public void The_explanation_names_the_longest_linearizable_prefix_and_the_operation_that_cannot_follow()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        var last = h.Get("k", 20, 30, "a", 1);
        var missing = h.GetAbsent("k", 40, 50);
        h.Get("k", 60, 70, "a", 1);

        var explanation = h.Check().Violations.Single().Explanation;

        explanation.Should().Be(
            "Not linearizable: at most 2 of the 4 operations with known outcomes can be put in an order that fits every reply.\n" +
            $"The longest linearizable prefix (2 operations) ends with #{last.Id} (client 2) get → \"a\" (version 1) [0.020000s, 0.030000s], " +
            "and then the key holds \"a\" from #1 (version 1).\n" +
            $"Next must come #{missing.Id} (client 3) get → absent [0.040000s, 0.050000s], but it found the key absent while the key holds \"a\" from #1 (version 1).");
    }

    [Fact]
    public void Reads_that_go_back_to_an_older_version_are_a_violation_however_slow_the_newer_write()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 1000, version: 2);
        var newer = h.Get("k", 30, 40, "b", 2);
        var older = h.Get("k", 50, 60, "a", 1);

        var violation = h.Check().Violations.Should().ContainSingle().Subject;

        violation.Operations.Should().Equal(older, newer);
        violation.Explanation.Should().StartWith($"Versions went backwards: #{older.Id}");
    }

    [Fact]
    public void A_time_budget_of_zero_decides_nothing_and_says_so()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 30, version: 2);
        h.Get("k", 40, 50, "a", 1);

        var result = LinearizabilityChecker.Check(h.Operations, TimeSpan.Zero);

        result.Should().Be(result with { IsLinearizable = false, TimedOut = true, KeysChecked = 0, OperationsChecked = 0 });
        result.Violations.Should().BeEmpty("nothing was decided");
    }

    [Fact]
    public void An_empty_history_is_linearizable()
    {
        var result = LinearizabilityChecker.Check([]);

        result.IsLinearizable.Should().BeTrue();
        result.KeysChecked.Should().Be(0);
    }
}
