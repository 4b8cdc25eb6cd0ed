namespace ReplicatedKv.Chaos.Tests;

public sealed class CompareAndSetTests
{
    [Fact]
    public void A_compare_and_set_on_the_current_version_succeeds()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 30, version: 2, ifVersion: 1);
        h.Get("k", 40, 50, "b", 2);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void A_compare_and_set_that_succeeds_on_a_superseded_version_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 30, version: 2);
        h.Set("k", "c", 40, 50, version: 3, ifVersion: 1);

        var explanation = h.Check().Violations.Should().ContainSingle().Subject.Explanation;

        explanation.Should().Contain("#3 (client 3) set \"c\" if version 1 → ok (version 3) [0.040000s, 0.050000s] saw the key at version 1")
            .And.Contain("#2 (client 2) set \"b\" → ok (version 2) [0.020000s, 0.030000s] completed before it was invoked");
    }

    [Fact]
    public void A_compare_and_set_on_a_version_a_read_saw_superseded_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 100, version: 2);
        h.Get("k", 30, 40, "b", 2);
        h.Set("k", "c", 50, 60, version: 3, ifVersion: 1);

        var explanation = h.Check().Violations.Should().ContainSingle().Subject.Explanation;

        explanation.Should().StartWith("Versions went backwards: #4 (client 4) set \"c\" if version 1 → ok (version 3) [0.050000s, 0.060000s] saw the key at version 1")
            .And.Contain("#3 (client 3) get → \"b\" (version 2) [0.030000s, 0.040000s] had already seen version 2");
    }

    [Fact]
    public void Create_if_absent_succeeds_on_an_absent_key_and_not_on_a_present_one()
    {
        var ok = new HistoryBuilder();
        ok.Set("k", "a", 0, 10, version: 1, ifVersion: 0);
        ok.Check().IsLinearizable.Should().BeTrue();

        var bad = new HistoryBuilder();
        bad.Set("k", "a", 0, 10, version: 1);
        bad.Set("k", "b", 20, 30, version: 2, ifVersion: 0);
        bad.Check().Violations.Should().ContainSingle().Which.Explanation
            .Should().Contain("its guard requires the key absent while the key holds \"a\" from #1 (version 1)");
    }

    [Fact]
    public void Two_concurrent_creates_if_absent_cannot_both_succeed()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 100, version: 1, ifVersion: 0);
        h.Set("k", "b", 0, 100, version: 2, ifVersion: 0);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void A_mismatch_that_reports_the_current_version_is_consistent()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetMismatch("k", "b", ifVersion: 5, 20, 30, currentVersion: 1);
        h.RemoveMismatch("k", ifVersion: 0, 40, 50, currentVersion: 1);
        h.Get("k", 60, 70, "a", 1);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void A_mismatch_on_an_absent_key_reports_version_zero()
    {
        var h = new HistoryBuilder();
        h.SetMismatch("k", "b", ifVersion: 3, 0, 10, currentVersion: 0);
        h.RemoveMismatch("k", ifVersion: 3, 20, 30, currentVersion: 0);

        h.Check().IsLinearizable.Should().BeTrue();
    }

    [Fact]
    public void A_mismatch_that_reports_a_version_the_key_does_not_have_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetMismatch("k", "b", ifVersion: 0, 20, 30, currentVersion: 7);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void A_mismatch_that_reports_the_key_absent_while_it_is_present_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetMismatch("k", "b", ifVersion: 1, 20, 30, currentVersion: 0);

        h.Check().IsLinearizable.Should().BeFalse();
    }

    [Fact]
    public void A_mismatch_naming_the_version_its_guard_asked_for_is_a_violation()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.SetMismatch("k", "b", ifVersion: 1, 20, 30, currentVersion: 1);

        h.Check().Violations.Should().ContainSingle().Which.Explanation.Should().Contain("naming the very version its guard asked for");
    }

    [Fact]
    public void A_mismatch_concurrent_with_the_write_it_reports_is_consistent()
    {
        var h = new HistoryBuilder();
        h.Set("k", "a", 0, 10, version: 1);
        h.Set("k", "b", 20, 100, version: 2);
        h.SetMismatch("k", "c", ifVersion: 1, 30, 40, currentVersion: 2);
        h.Get("k", 50, 60, "b", 2);

        h.Check().IsLinearizable.Should().BeTrue();
    }
}
