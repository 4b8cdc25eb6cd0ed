namespace ReplicatedKv.StateMachine.Tests;

public sealed class CompareOnVersionTests
{
    private readonly KeyValueStateMachine _machine = new();

    public CompareOnVersionTests()
    {
        _machine.ApplyOne(Cmd.Set("present", "old")); // version 1
        _machine.ApplyOne(Cmd.Set("other", "x"));     // version 2, so versions and revision differ
    }

    [Fact]
    public void Set_with_the_current_version_applies()
    {
        _machine.ApplyOne(Cmd.Set("present", "new", ifVersion: 1)).Should().Be(CommandResult.Ok(3));

        _machine.ValueOf("present").Should().Be("new");
    }

    [Fact]
    public void Set_with_another_version_fails_and_reports_the_current_one()
    {
        var before = _machine.ComputeStateHash();

        _machine.ApplyOne(Cmd.Set("present", "new", ifVersion: 2)).Should().Be(CommandResult.FailedPrecondition(1));

        _machine.ValueOf("present").Should().Be("old");
        _machine.Revision.Should().Be(2);
        _machine.ComputeStateHash().Should().Be(before);
    }

    [Fact]
    public void Set_if_absent_creates_an_absent_key()
    {
        _machine.ApplyOne(Cmd.Set("fresh", "v", ifVersion: 0)).Should().Be(CommandResult.Ok(3));

        _machine.ValueOf("fresh").Should().Be("v");
    }

    [Fact]
    public void Set_if_absent_fails_on_a_present_key_with_its_version()
    {
        _machine.ApplyOne(Cmd.Set("present", "new", ifVersion: 0)).Should().Be(CommandResult.FailedPrecondition(1));

        _machine.ValueOf("present").Should().Be("old");
    }

    [Fact]
    public void Set_with_a_nonzero_version_fails_on_an_absent_key_with_version_zero()
    {
        _machine.ApplyOne(Cmd.Set("fresh", "v", ifVersion: 1)).Should().Be(CommandResult.FailedPrecondition(0));

        _machine.Contains("fresh").Should().BeFalse();
        _machine.Count.Should().Be(2);
    }

    [Fact]
    public void Remove_with_the_current_version_deletes()
    {
        _machine.ApplyOne(Cmd.Remove("present", ifVersion: 1)).Should().Be(CommandResult.Ok(3));

        _machine.Contains("present").Should().BeFalse();
    }

    [Fact]
    public void Remove_with_another_version_fails_and_keeps_the_key()
    {
        _machine.ApplyOne(Cmd.Remove("present", ifVersion: 7)).Should().Be(CommandResult.FailedPrecondition(1));
        _machine.ApplyOne(Cmd.Remove("present", ifVersion: 0)).Should().Be(CommandResult.FailedPrecondition(1));

        _machine.ValueOf("present").Should().Be("old");
        _machine.Revision.Should().Be(2);
    }

    [Fact]
    public void Remove_of_an_absent_key_with_a_version_fails_with_version_zero()
    {
        _machine.ApplyOne(Cmd.Remove("fresh", ifVersion: 1)).Should().Be(CommandResult.FailedPrecondition(0));
    }

    [Fact]
    public void Remove_if_absent_of_an_absent_key_removes_nothing()
    {
        _machine.ApplyOne(Cmd.Remove("fresh", ifVersion: 0)).Should().Be(CommandResult.NotFound);

        _machine.Revision.Should().Be(2);
    }
}
