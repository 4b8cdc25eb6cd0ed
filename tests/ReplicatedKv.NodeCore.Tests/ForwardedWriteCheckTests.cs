using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore.Tests;

/// <summary>
/// The leader checks forwarded writes as carefully as client writes: a buggy member cannot put an over-limit or
/// malformed command in the log, and its sender is told why instead of retrying.
/// </summary>
public sealed class ForwardedWriteCheckTests
{
    private static readonly int[] Members = [1, 2, 3];
    private static readonly CommandLimits Limits = new(MaxKeyBytes: 8, MaxValueBytes: 16);

    private static NodeCore Core(int id) =>
        new(new NodeCoreConfig { Replica = new ReplicaConfig { NodeId = id, Members = Members }, Incarnation = 7, CommandLimits = Limits },
            null, new KeyValueStateMachine());

    /// <summary>Node 1 elected with node 2's votes.</summary>
    private static NodeCore Leader()
    {
        var core = Core(1);
        core.Replica.Campaign();
        for (var round = 0; round < 10 && core.Replica.Role != Role.Leader; round++)
        {
            foreach (var message in Drain(core).Consensus)
            {
                _ = message switch
                {
                    PrePrepare m => core.Step(new PrePromise(2, 1, m.Ballot, true, Ballot.Zero)),
                    Prepare m => core.Step(new Promise(2, 1, m.Ballot, m.FromSlot, 0, [])),
                    _ => PaxosReplica.StepResult.Handled,
                };
            }
        }

        core.Replica.Role.Should().Be(Role.Leader);
        Drain(core);
        return core;
    }

    private static (List<PeerMessage> Consensus, List<RoutingMessage> Routing, List<Answer> Answers) Drain(NodeCore core)
    {
        var (consensus, routing, answers) = (new List<PeerMessage>(), new List<RoutingMessage>(), new List<Answer>());
        while (core.HasReady)
        {
            var ready = core.GetReady();
            consensus.AddRange(ready.Consensus.Messages);
            consensus.AddRange(ready.Consensus.MessagesAfterPersist);
            routing.AddRange(ready.RoutingMessages);
            answers.AddRange(core.Advance());
        }

        return (consensus, routing, answers);
    }

    private static ReadOnlyMemory<byte> Envelope(int origin, KvCommand command) => Envelope(origin, CommandCodec.Encode(command));

    private static ReadOnlyMemory<byte> Envelope(int origin, byte[] body)
    {
        var envelope = CommandEnvelope.Wrap(origin, 99, 1, body.Length, out var target);
        body.CopyTo(target);
        return envelope;
    }

    private static long ProposedAfter(NodeCore leader, ForwardWrites forward, PaxosReplica.StepResult expected, out ForwardRefused? refused)
    {
        leader.Step(forward).Should().Be(expected);
        refused = Drain(leader).Routing.OfType<ForwardRefused>().SingleOrDefault();
        return leader.ProposedCommands;
    }

    [Fact]
    public void A_forwarded_value_over_the_limit_is_refused_with_the_reason_and_never_proposed()
    {
        var leader = Leader();
        var forward = new ForwardWrites(2, 1, [Envelope(2, KvCommand.Set("k", new byte[17]))]);

        ProposedAfter(leader, forward, PaxosReplica.StepResult.OverLimit, out var refused).Should().Be(0);

        refused.Should().NotBeNull();
        refused!.To.Should().Be(2);
        refused.Reason.Should().Contain("value over 16 bytes");
        leader.Replica.LastSlot.Should().Be(leader.Replica.DecidedIndex, "nothing new was proposed");
    }

    [Fact]
    public void A_forwarded_key_over_the_limit_refuses_the_whole_message()
    {
        var leader = Leader();
        var forward = new ForwardWrites(2, 1, [Envelope(2, KvCommand.Set("ok", new byte[1])), Envelope(2, KvCommand.Remove("key-too-long"))]);

        ProposedAfter(leader, forward, PaxosReplica.StepResult.OverLimit, out var refused).Should().Be(0);

        refused!.Commands.Should().HaveCount(2);
        refused.Reason.Should().Contain("key over 8 bytes");
    }

    [Fact]
    public void A_forwarded_command_that_does_not_decode_or_names_another_origin_is_malformed()
    {
        var leader = Leader();

        ProposedAfter(leader, new ForwardWrites(2, 1, [Envelope(2, [1, 9, 0])]), PaxosReplica.StepResult.Malformed, out var garbage).Should().Be(0);
        ProposedAfter(leader, new ForwardWrites(2, 1, [Envelope(3, KvCommand.Remove("k"))]), PaxosReplica.StepResult.Malformed, out var foreign).Should().Be(0);
        ProposedAfter(leader, new ForwardWrites(2, 1, [new byte[] { 1, 2, 3 }]), PaxosReplica.StepResult.Malformed, out var bare).Should().Be(0);

        garbage!.Reason.Should().Contain("not a well-formed command");
        foreign!.Reason.Should().Contain("from its sender");
        bare!.Reason.Should().NotBeNull();
    }

    [Fact]
    public void A_forwarded_command_within_the_limits_is_proposed()
    {
        var leader = Leader();

        ProposedAfter(leader, new ForwardWrites(2, 1, [Envelope(2, KvCommand.Set("k", new byte[16]))]), PaxosReplica.StepResult.Handled, out var refused)
            .Should().Be(1);

        refused.Should().BeNull();
    }

    [Fact]
    public void A_refusal_with_a_reason_answers_the_caller_instead_of_routing_the_write_again()
    {
        var follower = Core(2);
        var ballot = new Ballot(1, 1);
        follower.Step(new Heartbeat(1, 2, ballot, 0, 0));
        Drain(follower);
        follower.SubmitWrite(caller: 5, KvCommand.Set("k", new byte[1]));
        var forward = Drain(follower).Routing.OfType<ForwardWrites>().Single();

        follower.Step(new ForwardRefused(1, 2, forward.Commands, Overloaded: false, MaybeDecided: false, "a forwarded command breaks a limit: key"));
        var after = Drain(follower);

        after.Answers.Should().ContainSingle(a => a.Caller == 5 && a.Kind == AnswerKind.Overloaded && a.Reason!.Contains("breaks a limit"));
        after.Routing.OfType<ForwardWrites>().Should().BeEmpty("no leader will take the command");
    }
}
