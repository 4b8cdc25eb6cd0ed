using ReplicatedKv.Consensus;

namespace ReplicatedKv.NodeCore;

// Membership changes: taken by the leader, decided through the log like a write, answered when this node applies the
// slot. A change submitted at a follower is refused with the leader's id, for the host to retry there.
public sealed partial class NodeCore
{
    private PendingChange? _pendingChange;

    /// <summary>The change this node proposed for a caller: the configuration it asked for, recognised when applied.</summary>
    private sealed record PendingChange(long Caller, Configuration Configuration);

    /// <summary>The most recently decided configuration (the slot that decided it, the first slot it governs).</summary>
    public ConfigurationEntry LatestConfiguration => _replica.LatestConfiguration;

    /// <summary>The configuration whose quorums count for the next slot.</summary>
    public ConfigurationEntry GoverningConfiguration => _replica.GoverningConfiguration;

    /// <summary>
    /// Hands leadership to <paramref name="target"/> (see PaxosReplica.TransferLeadership): null when started on this
    /// leader, else why not. Writes wait meanwhile and go to the new leader; if the target has not taken over within an
    /// election timeout this node leads on.
    /// </summary>
    public string? TransferLeadership(int target) => _replica.TransferLeadership(target);

    /// <summary>
    /// Takes a membership change under <paramref name="caller"/> (see <see cref="SubmitWrite"/>). The answer comes out of
    /// <see cref="Advance"/>: <see cref="AnswerKind.MembershipChanged"/> once this node applied the slot that decided
    /// it, or <see cref="AnswerKind.Refused"/> with the reason (not the leader, another change pending, too few voters
    /// able to run, a member lagging too far to promote, or leadership lost before the change reached a slot).
    /// </summary>
    public void SubmitMembershipChange(long caller, MembershipChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_writes.ContainsKey(caller) || _reads.ContainsKey(caller) || _pendingChange?.Caller == caller)
        {
            throw new InvariantViolationException($"caller {caller} submitted twice");
        }

        if (_pendingChange is not null)
        {
            _answers.Add(new Answer(caller, AnswerKind.Refused, Reason: "another membership change is pending: one change at a time"));
            return;
        }

        if (_replica.Role != Role.Leader)
        {
            var leader = _replica.LeaderId is int id && id != _selfId ? $"node {id} leads" : "no leader is known";
            _answers.Add(new Answer(caller, AnswerKind.Refused, Reason: $"this node is not the leader ({leader}): send the change to the leader"));
            return;
        }

        var proposal = _replica.ProposeMembershipChange(change);
        if (!proposal.Accepted)
        {
            _answers.Add(new Answer(caller, AnswerKind.Refused, Reason: proposal.Reason));
            return;
        }

        _pendingChange = new PendingChange(caller, proposal.Configuration!);
    }

    /// <summary>A decided configuration: nothing for the table (an empty batch keeps its applied slot in step), and the caller's answer.</summary>
    private void ApplyConfiguration(long slot, Configuration configuration)
    {
        _stateMachine.Apply(slot, []);
        AppliedSlots++;
        if (_pendingChange is { } change && change.Configuration.ContentEquals(configuration))
        {
            _pendingChange = null;
            _answers.Add(new Answer(change.Caller, AnswerKind.MembershipChanged, Reason: configuration.ToString()));
        }
    }

    /// <summary>
    /// The replica gave up on its proposals. A change that never reached a slot is refused (the caller may retry); one
    /// that did may still be decided by the next leader, so it waits to be applied or abandoned, like a write without
    /// a request id.
    /// </summary>
    private void OnDroppedMembershipChange(DroppedProposals dropped)
    {
        if (_pendingChange is not { } change || dropped.MaybeDecided)
        {
            return;
        }

        foreach (var command in dropped.Commands)
        {
            if (Configuration.TryDecode(command.Span, out var configuration) && configuration.ContentEquals(change.Configuration))
            {
                _pendingChange = null;
                _answers.Add(new Answer(change.Caller, AnswerKind.Refused, Reason: "leadership was lost before the change reached the log; nothing changed"));
                return;
            }
        }
    }
}
