namespace ReplicatedKv.Chaos.Tests;

public sealed class UnknownOutcomeTests
{
    [Fact]
    public void An_unknown_write_may_take_effect_long_after_its_invoke()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetUnknown("k", "b", 20);
        h.Get("k", 30, 40, "a", 1);
        h.Get("k", 500, 510, "a", 1);
        h.Get("k", 1000, 1010, "b", 5);
        h.Get("k", 1020, 1030, "b", 5);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void An_unknown_write_may_never_take_effect()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetUnknown("k", "b", 20);
        h.RemoveUnknown("k", 25);
        h.Get("k", 30, 40, "a", 1);
        h.Get("k", 1000, 1010, "a", 1);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void An_unknown_write_seen_by_a_read_that_returned_before_its_invoke_is_a_violation()
    {
        var h = new HistoryBuilder();
        var read = h.Get("k", 0, 10, "b", 2);
        var write = h.SetUnknown("k", "b", 20);

        var violation = h.Check().Violations.Should().ContainSingle().Subject;

        violation.Operations.Should().Equal(read, write);
        violation.Explanation.Should().Contain("before the set that wrote it was invoked");
    }

    [Fact]
    public void An_unknown_write_seen_by_a_read_cannot_be_undone_by_taking_effect_again()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetUnknown("k", "b", 20);
        h.Get("k", 30, 40, "b", 2);
        h.Set("k", "c", 50, 60, version: 3);
        h.Get("k", 70, 80, "b", 2);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void An_unknown_write_no_read_saw_can_explain_a_remove_that_deleted_something()
    {
        var h = new HistoryBuilder();
        h.SetUnknown("k", "a", 0);
        h.Remove("k", 10, 20, version: 2);
        h.GetAbsent("k", 30, 40);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void Without_any_write_a_remove_that_deleted_something_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.SetFailed("k", "a", 0, 5);
        h.Remove("k", 10, 20, version: 2);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void An_unknown_remove_may_delete_but_the_value_cannot_come_back()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.RemoveUnknown("k", 20);
        h.GetAbsent("k", 30, 40);
        h.Get("k", 50, 60, "a", 1);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void An_unknown_read_constrains_nothing()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.GetUnknown("k", 20);
        h.Get("k", 30, 40, "a", 1);

        var result = h.Check();

        result.IsLinearizable.Should().BeTrue();
        result.OperationsChecked.Should().Be(2);
    }

    [Fact]
    public void A_version_learned_for_an_unseen_unknown_write_must_hold_until_the_next_write()
    {
        var h = new HistoryBuilder();
        h.SetUnknown("k", "a", 0);
        h.SetMismatch("k", "b", ifVersion: 0, 10, 20, currentVersion: 9);
        h.SetMismatch("k", "c", ifVersion: 0, 30, 40, currentVersion: 10);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void Two_unseen_unknown_writes_can_explain_two_different_reported_versions()
    {
        var h = new HistoryBuilder();
        h.SetUnknown("k", "a", 0);
        h.SetUnknown("k", "b", 0);
        h.SetMismatch("k", "c", ifVersion: 0, 10, 20, currentVersion: 9);
        h.Set("k", "d", 30, 40, version: 11, ifVersion: 10);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void Many_unknown_writes_that_never_took_effect_do_not_hide_a_stale_read()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        for (var i = 0; i < 40; i++)
        {
            h.SetUnknown("k", $"lost{i}", 20 + i);
        }

        h.Set("k", "b", 100, 110, version: 2);
        h.Get("k", 120, 130, "a", 1);

        h.Check().IsLinearizable.Should().BeFalse();
    }
}
