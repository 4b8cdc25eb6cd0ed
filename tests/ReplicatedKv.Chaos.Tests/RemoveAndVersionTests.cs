using ReplicatedKv.Testing.Checking;

namespace ReplicatedKv.Chaos.Tests;

public sealed class RemoveAndVersionTests
{
    [Fact]
    public void Removing_an_absent_key_removes_nothing_and_uses_no_version()
    {
        var h = new HistoryBuilder();
        h.RemoveNothing("k", 0, 10);
        h.RemoveNothing("k", 20, 30, ifVersion: 0);
        h.Set("k", "a", 40, 50, version: 1);
        h.Remove("k", 60, 70, version: 2, ifVersion: 1);
        h.RemoveNothing("k", 80, 90);
        h.GetAbsent("k", 100, 110);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void Removing_nothing_from_a_present_key_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.RemoveNothing("k", 20, 30);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void Removing_something_from_an_absent_key_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Remove("k", 20, 30, version: 2);
        h.Remove("k", 40, 50, version: 3);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void A_removed_value_that_comes_back_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Remove("k", 20, 30, version: 2);
        h.Get("k", 40, 50, "a", 1);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void Versions_going_backwards_on_a_key_are_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 5);
        h.Set("k", "b", 20, 30, version: 3);

        h.Check().Violations.Should().ContainSingle().Which.Explanation
            .Should().StartWith("Versions went backwards: #2 (client 2) set \"b\" → ok (version 3)");
    }

    [Fact]
    public void A_write_ordered_after_another_by_a_read_cannot_have_a_lower_version()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 100, version: 5);
        h.Get("k", 10, 20, "a", 5);
        h.Set("k", "b", 30, 40, version: 3);

        h.Check().Violations.Should().ContainSingle().Which.Explanation
            .Should().Contain("saw the key at version 5, but #3 (client 3) set \"b\" → ok (version 3) [0.030000s, 0.040000s], with the lower version 3, was invoked after it returned");
    }

    [Fact]
    public void A_remove_gets_a_version_later_writes_must_exceed()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Remove("k", 20, 30, version: 4);
        h.Set("k", "b", 40, 50, version: 3);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void Versions_may_skip_numbers_used_by_other_keys()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("j", "x", 0, 10, version: 2);
        h.Set("k", "b", 20, 30, version: 3);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void A_read_that_reports_another_version_than_the_write_got_is_a_violation()
    {
        var h = new HistoryBuilder();
        var write = h.Set("k", "a", 0, 10, version: 1);
        var read = h.Get("k", 20, 30, "a", 2);

        var violation = h.Check().Violations.Should().ContainSingle().Subject;

        violation.Operations.Should().Contain([write, read]);
        violation.Explanation.Should().Contain("two versions");
    }

    [Fact]
    public void One_version_given_to_writes_on_two_keys_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("j", "x", 0, 10, version: 1);

        h.Check().Violations.Should().ContainSingle().Which.Explanation.Should().Contain("Version 1 names two different writes");
    }

    [Fact]
    public void A_read_of_a_value_nobody_wrote_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Get("k", 0, 10, "ghost", 1);

        h.Check().Violations.Should().ContainSingle().Which.Explanation.Should().Contain("which no operation wrote");
    }

    [Fact]
    public void A_read_of_a_value_whose_write_failed_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.SetFailed("k", "a", 0, 10);
        h.Get("k", 20, 30, "a", 1);

        h.Check().Violations.Should().ContainSingle().Which.Explanation.Should().Contain("definitely not applied");
    }

    [Fact]
    public void A_read_of_a_value_written_to_another_key_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("j", "a", 0, 10, version: 1);
        h.Get("k", 20, 30, "a", 1);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void A_failed_write_is_dropped()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetFailed("k", "b", 20, 30);
        h.Get("k", 40, 50, "a", 1);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void Two_sets_of_the_same_value_are_a_harness_bug_not_a_store_bug()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "a", 20, 30, version: 2);

        var check = () => LinearizabilityChecker.Check(h.Operations);

        check.Should().Throw<ArgumentException>().WithMessage("malformed history: *");
    }
}
