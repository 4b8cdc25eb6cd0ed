namespace ReplicatedKv.Consensus.Tests.Unit;

public sealed class IncarnationTableTests
{
    private static readonly Ballot B1 = new(1, 0);
    private static readonly Ballot B2 = new(2, 1);

    [Fact]
    public void Stamps_order_fences_above_probes_above_the_original_then_by_ballot_and_slot()
    {
        var stamps = new[]
        {
            IncarnationStamp.Fence(B2, 3), IncarnationStamp.Probe(2), IncarnationStamp.Fence(B1, 9), IncarnationStamp.Original,
            IncarnationStamp.Fence(B2, 1), IncarnationStamp.Probe(1),
        };

        stamps.Order().Should().Equal(
            IncarnationStamp.Original, IncarnationStamp.Probe(1), IncarnationStamp.Probe(2), IncarnationStamp.Fence(B1, 9),
            IncarnationStamp.Fence(B2, 1), IncarnationStamp.Fence(B2, 3));
    }

    [Fact]
    public void A_stamp_that_names_no_fence_or_generation_is_refused()
    {
        FluentActions.Invoking(() => IncarnationStamp.Fence(Ballot.Zero, 1)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => IncarnationStamp.Fence(B1, 0)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => IncarnationStamp.Probe(0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Without_a_record_any_incarnation_counts_and_with_one_only_the_one_it_names()
    {
        var table = IncarnationTable.Empty.Merge([new IncarnationRecord(2, IncarnationStamp.Fence(B1, 4), 0xBEEF)]);

        table.Admits(1, 0xAAAA).Should().BeTrue("member 1 has no record: its original incarnation, whatever its id");
        table.Admits(2, 0xBEEF).Should().BeTrue();
        table.Admits(2, 0xAAAA).Should().BeFalse("the pre-loss incarnation of member 2 must no longer count");
    }

    [Fact]
    public void Merge_keeps_the_higher_stamp_per_member_and_never_goes_back()
    {
        var older = new IncarnationRecord(2, IncarnationStamp.Probe(1), 0x1);
        var newer = new IncarnationRecord(2, IncarnationStamp.Fence(B1, 4), 0x2);
        var other = new IncarnationRecord(0, IncarnationStamp.Fence(B2, 7), 0x3);

        var table = IncarnationTable.Empty.Merge([newer]).Merge([older, other]);

        table.Records.Should().Equal(other, newer);
        table.Merge([older]).Should().BeSameAs(table, "an older record changes nothing");
        IncarnationTable.From([older, newer, older]).Records.Should().Equal(newer);
    }

    [Fact]
    public void Equal_stamps_with_different_ids_converge_on_the_higher_id_whatever_the_order()
    {
        var a = new IncarnationRecord(1, IncarnationStamp.Probe(1), 0x10);
        var b = new IncarnationRecord(1, IncarnationStamp.Probe(1), 0x20);

        IncarnationTable.From([a, b]).Records.Should().Equal(b);
        IncarnationTable.From([b, a]).Records.Should().Equal(b);
    }

    [Fact]
    public void A_table_is_newer_than_a_carried_one_that_lacks_or_holds_an_older_record()
    {
        var record = new IncarnationRecord(2, IncarnationStamp.Fence(B1, 4), 0xBEEF);
        var mine = IncarnationTable.From([record]);

        mine.IsNewerThan(IncarnationTable.Empty).Should().BeTrue("a candidacy that never heard of the rejoin is stale");
        mine.IsNewerThan(IncarnationTable.From([record with { Stamp = IncarnationStamp.Probe(3), Id = 0x1 }])).Should().BeTrue();
        mine.IsNewerThan(IncarnationTable.From([record])).Should().BeFalse();
        mine.IsNewerThan(IncarnationTable.From([record with { Stamp = IncarnationStamp.Fence(B2, 1), Id = 0x9 }])).Should().BeFalse();
        IncarnationTable.Empty.IsNewerThan(mine).Should().BeFalse();
    }

    [Fact]
    public void Malformed_records_are_refused()
    {
        FluentActions.Invoking(() => IncarnationTable.Empty.Merge([new IncarnationRecord(1, IncarnationStamp.Original, 5)]))
            .Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => IncarnationTable.Empty.Merge([new IncarnationRecord(1, IncarnationStamp.Probe(1), 0)]))
            .Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => IncarnationTable.Empty.Merge([new IncarnationRecord(-1, IncarnationStamp.Probe(1), 5)]))
            .Should().Throw<ArgumentException>();
    }
}
