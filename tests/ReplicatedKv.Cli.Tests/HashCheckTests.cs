namespace ReplicatedKv.Cli.Tests;

/// <summary>
/// The verdict of <c>check hash</c> on made-up answers: a healthy cluster never shows a divergence, so the
/// mismatching and incomplete cases are built here to show the check can fail.
/// </summary>
public sealed class HashCheckTests
{
    private const string A = "aaaa";
    private const string B = "bbbb";

    [Fact]
    public void Equal_hashes_at_one_slot_match()
    {
        var verdict = HashCheck.Judge([Member("n1", 7, A), Member("n2", 7, A), Member("n3", 7, A)]);
        verdict.Outcome.Should().Be(HashCheck.Outcome.Match);
        verdict.Message.Should().Contain("3 members agree at applied slot 7");
    }

    [Fact]
    public void Different_hashes_at_the_same_slot_are_a_mismatch_naming_both_sides()
    {
        var verdict = HashCheck.Judge([Member("n1", 7, A), Member("n2", 7, B), Member("n3", 7, A)]);
        verdict.Outcome.Should().Be(HashCheck.Outcome.Mismatch);
        verdict.Message.Should().Be("state hash mismatch at applied slot 7: n1,n3 aaaa vs n2 bbbb");
    }

    [Fact]
    public void Different_hashes_at_different_slots_are_not_compared()
    {
        var verdict = HashCheck.Judge([Member("n1", 7, A), Member("n2", 8, B), Member("n3", 7, A)]);
        verdict.Outcome.Should().Be(HashCheck.Outcome.Incomplete);
        verdict.Message.Should().Contain("different applied slots");
    }

    [Fact]
    public void A_mismatch_is_reported_even_when_a_member_did_not_answer()
    {
        var verdict = HashCheck.Judge([Member("n1", 7, A), Member("n2", 7, B), Silent("n3")]);
        verdict.Outcome.Should().Be(HashCheck.Outcome.Mismatch);
    }

    [Fact]
    public void A_member_that_did_not_answer_leaves_the_check_incomplete()
    {
        var verdict = HashCheck.Judge([Member("n1", 7, A), Member("n2", 7, A), Silent("n3")]);
        verdict.Outcome.Should().Be(HashCheck.Outcome.Incomplete);
        verdict.Message.Should().Contain("n3 did not answer");
    }

    private static MemberRow Member(string id, long applied, string hash) =>
        new(id, "http://" + id, "follower", "n1", Answered: true, Error: null) { Applied = applied, StateHash = hash };

    private static MemberRow Silent(string id) => new(id, "http://" + id, "unreachable", "n1", Answered: false, Error: "connection refused");
}
