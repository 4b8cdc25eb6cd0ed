namespace ReplicatedKv.StateMachine.Tests;

public sealed class KeyVersionTests
{
    [Fact]
    public void A_new_key_has_version_1_and_its_create_revision_is_its_first_write()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, [Cmd.Set("other", "x"), Cmd.Set("other", "y"), Cmd.Set("k", "v")]);

        var entry = Entry(machine, "k");
        (entry.ModRevision, entry.CreateRevision, entry.Version).Should().Be((3UL, 3UL, 1UL));
    }

    [Fact]
    public void Each_set_adds_one_to_the_version_and_keeps_the_create_revision()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, [Cmd.Set("k", "1"), Cmd.Set("x", "1"), Cmd.Set("k", "2"), Cmd.Set("k", "3", ifVersion: 3)]);

        var entry = Entry(machine, "k");
        entry.Version.Should().Be(3);
        entry.CreateRevision.Should().Be(1);
        entry.ModRevision.Should().Be(4);
    }

    [Fact]
    public void A_refused_compare_and_set_changes_neither_version_nor_revision()
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("k", "1"));

        machine.ApplyOne(Cmd.Set("k", "2", ifVersion: 7)).Status.Should().Be(CommandStatus.FailedPrecondition);

        Entry(machine, "k").Version.Should().Be(1);
        Entry(machine, "k").ModRevision.Should().Be(1);
    }

    [Fact]
    public void A_key_removed_and_set_again_starts_over_at_version_1_with_a_new_create_revision()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, [Cmd.Set("k", "1"), Cmd.Set("k", "2"), Cmd.Remove("k"), Cmd.Set("k", "3")]);

        var entry = Entry(machine, "k");
        entry.Version.Should().Be(1);
        entry.CreateRevision.Should().Be(4);
        entry.ModRevision.Should().Be(4);
    }

    [Fact]
    public void Compare_and_set_compares_the_modification_revision_not_the_version()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, [Cmd.Set("x", "1"), Cmd.Set("k", "1")]);

        machine.ApplyOne(Cmd.Set("k", "2", ifVersion: 1)).Status.Should().Be(CommandStatus.FailedPrecondition, "1 is the key's version, its revision is 2");
        machine.ApplyOne(Cmd.Set("k", "2", ifVersion: 2)).Should().Be(CommandResult.Ok(3));
    }

    [Fact]
    public void Two_states_with_equal_values_and_revisions_but_different_key_histories_have_different_hashes()
    {
        var setTwice = new KeyValueStateMachine();
        setTwice.Apply(1, [Cmd.Set("k", "a"), Cmd.Set("k", "b")]);
        var removedBetween = new KeyValueStateMachine();
        removedBetween.Apply(1, [Cmd.Set("k", "a"), Cmd.Remove("k")]);
        removedBetween.Apply(2, [Cmd.Set("k", "b", ifVersion: 0)]);

        // Bring both to revision 3 with "k" = "b" written at revision 3: they then differ only in the key's create revision and version.
        setTwice.Revision.Should().Be(2);
        removedBetween.Revision.Should().Be(3);
        setTwice.ApplyOne(Cmd.Set("k", "b"));
        Entry(setTwice, "k").ModRevision.Should().Be(Entry(removedBetween, "k").ModRevision);
        Entry(setTwice, "k").Version.Should().NotBe(Entry(removedBetween, "k").Version);

        setTwice.ComputeStateHash().Should().NotBe(removedBetween.ComputeStateHash());
    }

    private static KeyValueEntry Entry(KeyValueStateMachine machine, string key)
    {
        machine.TryGetEntry(key, out var entry).Should().BeTrue();
        return entry;
    }
}
