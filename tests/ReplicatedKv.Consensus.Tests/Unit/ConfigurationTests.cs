namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>Configurations as the log and snapshots carry them, and as a restarted replica reads them back.</summary>
public sealed class ConfigurationTests
{
    private static readonly Configuration FourMembers =
        new([new Member(1, true, "a"), new Member(2, true), new Member(3, true), new Member(4, false, "peer=https://n4:7000")], delay: 4);

    [Fact]
    public void A_configuration_round_trips_through_its_encoding_and_a_slot_value()
    {
        Configuration.TryDecode(FourMembers.Encode(), out var decoded).Should().BeTrue();
        decoded.ContentEquals(FourMembers).Should().BeTrue();
        Configuration.TryFrom(FourMembers.ToSlotValue(), out var fromSlot).Should().BeTrue();
        fromSlot.Voters.Should().Equal(1, 2, 3);
        fromSlot.NonVoters.Should().Equal(4);
        fromSlot.Majority.Should().Be(2, "the non-voter does not count");
    }

    [Fact]
    public void Damaged_or_foreign_bytes_are_not_a_configuration()
    {
        var bytes = FourMembers.Encode();
        Configuration.TryDecode(bytes.AsSpan(0, bytes.Length - 1), out _).Should().BeFalse("truncated");
        Configuration.TryDecode([.. bytes, 0], out _).Should().BeFalse("trailing bytes");
        Configuration.TryFrom(new SlotValue([new byte[] { 0xE1, 1, 2 }]), out _).Should().BeFalse("a client command");
        Configuration.TryFrom(new SlotValue([bytes, bytes]), out _).Should().BeFalse("a configuration has a slot of its own");
        var noVoter = (byte[])bytes.Clone();
        for (var at = 10; at < noVoter.Length;)
        {
            noVoter[at + 4] = 0;
            at += 9 + BitConverter.ToInt32(noVoter, at + 5);
        }

        Configuration.TryDecode(noVoter, out _).Should().BeFalse("a configuration without a voter");
    }

    [Fact]
    public void A_membership_snapshot_round_trips()
    {
        var snapshot = new MembershipSnapshot([new ConfigurationEntry(0, 1, Configuration.Bootstrap([1, 2, 3], 4)), new ConfigurationEntry(9, 13, FourMembers)]);
        MembershipSnapshot.TryDecode(snapshot.Encode(), out var decoded).Should().BeTrue();
        decoded.Entries.Select(e => (e.Slot, e.EffectiveSlot)).Should().Equal((0L, 1L), (9L, 13L));
        decoded.Entries[1].Configuration.ContentEquals(FourMembers).Should().BeTrue();
        MembershipSnapshot.TryDecode(snapshot.Encode().AsSpan(2), out _).Should().BeFalse();
    }

    [Fact]
    public void A_restarted_replica_takes_its_configuration_from_the_decided_log_not_from_its_flags()
    {
        var entries = new List<LogEntry>
        {
            new(1, new Ballot(1, 1), SlotValue.NoOp),
            new(2, new Ballot(1, 1), FourMembers.ToSlotValue()),
            new(3, new Ballot(1, 1), SlotValue.NoOp),
        };
        var state = new PersistentState(new HardState(new Ballot(1, 1), 3), 0, entries);
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3], Window = 4 }, state);
        replica.LatestConfiguration.Slot.Should().Be(2);
        replica.LatestConfiguration.EffectiveSlot.Should().Be(6);
        replica.LatestConfiguration.Configuration.NonVoters.Should().Equal(4);
        replica.GoverningConfiguration.Configuration.NonVoters.Should().BeEmpty("slot 4 is still governed by the bootstrap configuration");
        replica.IsKnownMember(4).Should().BeTrue();

        // An accepted but undecided configuration governs nothing.
        var undecided = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3], Window = 4 }, state with { HardState = new HardState(new Ballot(1, 1), 1) });
        undecided.LatestConfiguration.Slot.Should().Be(0);
    }

    [Fact]
    public void A_restarted_replica_takes_its_configuration_from_its_snapshot()
    {
        var membership = new MembershipSnapshot([new ConfigurationEntry(7, 11, FourMembers)]);
        var state = new PersistentState(new HardState(new Ballot(1, 1), 20), 20, [], membership);
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3, 9] }, state);
        replica.GoverningConfiguration.Configuration.ContentEquals(FourMembers).Should().BeTrue();
        replica.IsKnownMember(9).Should().BeFalse("the flag's member list is only the bootstrap configuration");
        replica.MembershipAt(20).Entries.Should().ContainSingle().Which.Slot.Should().Be(7);
    }

    [Fact]
    public void A_client_command_that_looks_like_a_configuration_is_refused()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1] });
        replica.Campaign();
        replica.GetReady();
        replica.Advance();
        replica.Role.Should().Be(Role.Leader);
        var act = () => replica.Propose(FourMembers.Encode());
        act.Should().Throw<ArgumentException>();
    }
}
