namespace ReplicatedKv.StateMachine.Tests;

public sealed class ApplyTests
{
    [Fact]
    public void Set_then_get_returns_the_value_and_its_version()
    {
        var machine = new KeyValueStateMachine();

        var result = machine.ApplyOne(Cmd.Set("a", "alpha"));

        result.Should().Be(CommandResult.Ok(1));
        machine.TryGet("a", out var value, out var version).Should().BeTrue();
        value.ToArray().Should().Equal("alpha"u8.ToArray());
        version.Should().Be(1);
        machine.Contains("a").Should().BeTrue();
        machine.Count.Should().Be(1);
    }

    [Fact]
    public void Overwriting_replaces_the_value_and_gives_a_new_version()
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("a", "one"));

        machine.ApplyOne(Cmd.Set("a", "two")).Should().Be(CommandResult.Ok(2));

        machine.ValueOf("a").Should().Be("two");
        machine.VersionOf("a").Should().Be(2);
        machine.Count.Should().Be(1);
    }

    [Fact]
    public void Remove_deletes_a_present_key_and_takes_a_revision()
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("a", "alpha"));

        var result = machine.ApplyOne(Cmd.Remove("a"));

        result.Should().Be(CommandResult.Ok(2));
        result.Removed.Should().BeTrue();
        machine.Contains("a").Should().BeFalse();
        machine.TryGet("a", out _, out var version).Should().BeFalse();
        version.Should().Be(0);
        machine.Count.Should().Be(0);
        machine.Revision.Should().Be(2);
    }

    [Fact]
    public void Removing_an_absent_key_reports_not_removed_and_changes_nothing()
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("a", "alpha"));
        var before = machine.ComputeStateHash();

        var result = machine.ApplyOne(Cmd.Remove("b"));

        result.Should().Be(CommandResult.NotFound);
        result.Removed.Should().BeFalse();
        machine.Revision.Should().Be(1);
        machine.ComputeStateHash().Should().Be(before);
    }

    [Fact]
    public void A_batch_yields_one_result_per_command_in_order()
    {
        var machine = new KeyValueStateMachine();

        var results = machine.Apply(1, [Cmd.Set("a", "1"), Cmd.Remove("zzz"), Cmd.Set("b", "2"), Cmd.Remove("a")]);

        results.Should().Equal(CommandResult.Ok(1), CommandResult.NotFound, CommandResult.Ok(2), CommandResult.Ok(3));
        machine.AppliedSlot.Should().Be(1);
        machine.Contains("a").Should().BeFalse();
        machine.ValueOf("b").Should().Be("2");
    }

    [Fact]
    public void An_empty_batch_is_a_no_op_that_still_advances_the_applied_slot()
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("a", "alpha"));
        var before = machine.ComputeStateHash();

        machine.Apply(2, []).Should().BeEmpty();

        machine.AppliedSlot.Should().Be(2);
        machine.Revision.Should().Be(1);
        machine.ComputeStateHash().Should().Be(before);
    }

    [Fact]
    public void A_slot_at_or_below_the_applied_slot_is_refused()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(3, [Cmd.Set("a", "alpha")]);

        var again = () => machine.Apply(3, [Cmd.Set("a", "beta")]);
        var older = () => machine.Apply(2, []);

        again.Should().Throw<ArgumentOutOfRangeException>();
        older.Should().Throw<ArgumentOutOfRangeException>();
        machine.ValueOf("a").Should().Be("alpha");
        machine.AppliedSlot.Should().Be(3);
    }

    [Fact]
    public void Empty_values_and_keys_are_ordinary_data()
    {
        var machine = new KeyValueStateMachine();

        machine.ApplyOne(Cmd.Set("", "")).Should().Be(CommandResult.Ok(1));

        machine.TryGet("", out var value, out var version).Should().BeTrue();
        value.Length.Should().Be(0);
        version.Should().Be(1);
    }
}
