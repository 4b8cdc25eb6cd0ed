namespace ReplicatedKv.Consensus.Tests.Unit;

public sealed class RejoinPhaseTests
{
    [Theory]
    [InlineData("Probing", "Learner", true)]
    [InlineData("LearnerDurable", "Regaining", true)]
    [InlineData("Regaining", "Voter", true)]
    [InlineData("Bootstrapping", "BootstrappedVoter", true)]
    [InlineData("Learner", "Regaining", false)]
    [InlineData("Voter", "Learner", false)]
    [InlineData("LearnerDurable", "Voter", false)]
    [InlineData("Regaining", "BootstrappedVoter", false)]
    public void Only_listed_moves_are_legal(string from, string to, bool legal) =>
        RejoinPhases.IsLegal(Enum.Parse<RejoinPhase>(from), Enum.Parse<RejoinPhase>(to)).Should().Be(legal);

    [Fact]
    public void Every_phase_maps_to_the_persisted_flags_as_before()
    {
        foreach (var phase in Enum.GetValues<RejoinPhase>())
        {
            var votes = phase is RejoinPhase.Voter or RejoinPhase.BootstrappedVoter;
            (phase.ToRejoinState() == RejoinState.Voter).Should().Be(votes, phase.ToString());
            (phase.Rejoining() && phase.Bootstrapped()).Should().BeFalse("no phase writes both flags: {0}", phase);
        }
    }
}
