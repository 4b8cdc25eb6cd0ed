namespace ReplicatedKv.Consensus.Tests.Unit;

public sealed class BallotAndQuorumTests
{
    [Fact]
    public void Ballots_order_by_round_then_node_id()
    {
        var ballots = new[] { new Ballot(2, 1), new Ballot(1, 3), new Ballot(1, 1), new Ballot(2, 0), Ballot.Zero };
        ballots.Order().Should().Equal(Ballot.Zero, new Ballot(1, 1), new Ballot(1, 3), new Ballot(2, 0), new Ballot(2, 1));
        (new Ballot(1, 3) < new Ballot(2, 1)).Should().BeTrue();
        (new Ballot(2, 1) > new Ballot(2, 0)).Should().BeTrue();
        (new Ballot(2, 1) <= new Ballot(2, 1)).Should().BeTrue();
    }

    [Fact]
    public void Majority_matches_a_naive_count_for_every_mask_of_up_to_seven_members()
    {
        for (var members = 1; members <= 7; members++)
        {
            for (var mask = 0UL; mask < 1UL << members; mask++)
            {
                var count = 0;
                for (var i = 0; i < members; i++)
                {
                    count += (int)((mask >> i) & 1);
                }

                Quorum.IsMajority(mask, members).Should().Be(2 * count > members, $"mask {mask} of {members}");
            }
        }
    }
}
