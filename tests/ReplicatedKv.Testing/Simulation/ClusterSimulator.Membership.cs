using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// Membership changes in the simulation (<see cref="SimulationOptions.Membership"/>): an operator that adds a node (it
/// starts empty, as a rejoining learner, once its addition is decided), promotes it, and removes members, the leader
/// included, through whichever node it reaches (mostly the leader). The configurations the log decides are checked:
/// each differs from the one before by exactly one change and is decided only once the one before governs. A removed
/// node is shut down for good once slots governed by the configuration without it are decided.
/// </summary>
internal sealed partial class ClusterSimulator
{
    private const int SpareNodes = 4;

    // The nodes that are members (or were, until retired): picked for crashes, clients and the failure budget.
    private readonly List<int> _active = [];
    private readonly HashSet<int> _retired = [];
    private readonly Dictionary<int, long> _retireAfter = [];
    private Configuration _truth = null!;
    private long _truthSlot;
    private MembershipCall? _membershipCall;

    private sealed record MembershipCall(long Caller, int Node, MembershipChange Change, long Deadline);

    /// <summary>Membership changes the log decided.</summary>
    public int ConfigurationsDecided { get; private set; }

    /// <summary>Leader transfers started.</summary>
    public int TransfersStarted { get; private set; }

    /// <summary>Decided configurations that removed the node leading when the removal was decided.</summary>
    public int LeadersRemoved { get; private set; }

    /// <summary>Membership changes refused (not the leader, pending, too few voters able to run, lagging member).</summary>
    public int MembershipRefusals { get; private set; }

    /// <summary>The latest configuration some replica applied.</summary>
    public Configuration LatestConfiguration => _truth;

    /// <summary>Most members that may fail at once while a majority of voters still runs.</summary>
    private int FailureBudget => (_truth.Voters.Count - 1) / 2;

    /// <summary>For a liveness failure's report: what a node takes for the configuration, when membership changes run.</summary>
    private string MembershipView(NodeCore.NodeCore core) =>
        _options.Membership ? $"/active [{string.Join(",", _active)}] retired [{string.Join(",", _retired)}] truth {_truth} at {_truthSlot}/decided {core.Replica.DecidedIndex}, {core.Replica.DescribeProposer()}, governing {core.GoverningConfiguration}, latest {core.LatestConfiguration}" : "";

        private int PickActiveId() => _active[_random.Next(0, _active.Count)];

    private void InitMembership()
    {
        _truth = Configuration.Bootstrap(_active, _nodes[1].Config.Replica.EffectiveConfigurationDelay);
        for (var id = _options.Nodes + 1; id < _nodes.Length; id++)
        {
            // Not yet provisioned: down, and never restarted until an addition of it is decided.
            _nodes[id] = new SimNode(id, _nodes[1].Config with { Replica = _nodes[1].Config.Replica with { NodeId = id, Members = [.. _active, id] } }, new SimDisk());
        }
    }

    /// <summary>One operator action, or the wait for its answer (given up after a deadline, like a CLI call).</summary>
    private void MembershipStep()
    {
        RetireRemoved();
        if (_membershipCall is { } call)
        {
            if (_now >= call.Deadline)
            {
                if (_nodes[call.Node].IsUp)
                {
                    _nodes[call.Node].Core!.Abandon(call.Caller);
                }

                _membershipCall = null;
            }

            return;
        }

        var voters = _truth.Voters;
        var nonVoters = _truth.NonVoters;
        if (_random.Chance(0.25))
        {
            // Leader transfer, to any voter (a cut-off or lagging target just makes it time out).
            var leader = _active.FirstOrDefault(id => _nodes[id].Core?.Replica.Role == Role.Leader && TakesInput(_nodes[id]));
            if (leader != 0 && _nodes[leader].Core!.TransferLeadership(_random.Pick(voters)) is null)
            {
                TransfersStarted++;
            }

            return;
        }

        MembershipChange change;
        if (nonVoters.Count > 0)
        {
            var id = _random.Pick(nonVoters);
            change = voters.Count <= _options.Nodes && _random.Chance(0.8) ? MembershipChange.Promote(id) : MembershipChange.Remove(id);
        }
        else if (voters.Count > _options.Nodes)
        {
            var leader = _active.FirstOrDefault(id => _nodes[id].Core?.Replica.Role == Role.Leader);
            var id = leader != 0 && voters.Contains(leader) && _random.Chance(0.6) ? leader : _random.Pick(voters);
            change = MembershipChange.Remove(id);
        }
        else if (Enumerable.Range(_options.Nodes + 1, _nodes.Length - _options.Nodes - 1).FirstOrDefault(id => !_active.Contains(id) && !_retired.Contains(id)) is var spare and > 0)
        {
            change = MembershipChange.AddNonVoter(spare, $"sim://node{spare}");
        }
        else
        {
            return;
        }

        var leaders = _active.Where(id => _nodes[id].Core?.Replica.Role == Role.Leader).ToArray();
        var target = _nodes[leaders.Length > 0 && _random.Chance(0.85) ? _random.Pick(leaders) : PickActiveId()];
        if (!TakesInput(target))
        {
            return;
        }

        var caller = ++_nextCaller;
        _membershipCall = new MembershipCall(caller, target.Id, change, _now + 60);
        target.Core!.SubmitMembershipChange(caller, change);
    }

    /// <summary>True when the answer was for the operator (and consumed here).</summary>
    private bool OnMembershipAnswer(Answer answer)
    {
        if (answer.Kind is not (AnswerKind.MembershipChanged or AnswerKind.Refused))
        {
            return false;
        }

        if (_membershipCall?.Caller == answer.Caller)
        {
            _membershipCall = null;
            if (answer.Kind == AnswerKind.Refused)
            {
                MembershipRefusals++;
            }
        }

        return true;
    }

    /// <summary>
    /// A configuration was decided (first seen applied): it must be one change from the one before, decided only once
    /// that one governs (one change at a time). New members are started; removed ones are marked for retirement.
    /// </summary>
    private void NoteChosenConfiguration(long slot, SlotValue value)
    {
        if (!Configuration.TryFrom(value, out var next))
        {
            return;
        }

        var governsFrom = _truthSlot == 0 ? 1 : _truthSlot + _truth.Delay;
        if (slot < governsFrom)
        {
            Fail("membership", $"configuration {next} decided at slot {slot}, before the previous one ({_truth}, decided at {_truthSlot}) governs from slot {governsFrom}: two changes in flight");
        }

        if (!IsOneChange(_truth, next))
        {
            Fail("membership", $"configuration {next} decided at slot {slot} is not one change from {_truth}");
        }

        ConfigurationsDecided++;
        if (_active.Any(id => !next.Contains(id) && _nodes[id].Core?.Replica.Role == Role.Leader))
        {
            LeadersRemoved++;
        }

        _truth = next;
        _truthSlot = slot;
        foreach (var member in next.Members)
        {
            if (!_active.Contains(member.Id) && !_retired.Contains(member.Id))
            {
                Provision(member.Id);
            }
        }

        foreach (var id in _active.Where(id => !next.Contains(id)))
        {
            _retireAfter[id] = slot + next.Delay - 1;
        }
    }

    private static bool IsOneChange(Configuration before, Configuration after)
    {
        var added = after.Members.Count(m => !before.Contains(m.Id));
        var removed = before.Members.Count(m => !after.Contains(m.Id));
        var promoted = after.Members.Count(m => m.IsVoter && before.Find(m.Id) is { IsVoter: false });
        var demoted = after.Members.Count(m => !m.IsVoter && before.Find(m.Id) is { IsVoter: true });
        return added + removed + promoted + demoted == 1 && after.Members.All(m => before.Contains(m.Id) || !m.IsVoter);
    }

    /// <summary>A new node on an empty disk, told the cluster exists: it rejoins as a learner and catches up.</summary>
    private void Provision(int id)
    {
        var template = _nodes[1].Config;
        var replica = template.Replica with
        {
            NodeId = id,
            Members = [.. _truth.Members.Select(m => m.Id)],
            RandomSeed = _seed * 1_000_003UL + (ulong)id,
            RejoinMode = RejoinMode.Rejoin,
        };
        var node = new SimNode(id, template with { Replica = replica, Incarnation = (uint)_random.Next(1, int.MaxValue) }, NewDisk(id));
        _nodes[id].Disk.Dispose();
        _nodes[id] = node;
        _active.Add(id);
        _active.Sort();
        Start(node);
    }

    /// <summary>Shuts down for good every removed node once a remaining voter decided the slots up to where the configuration without it governs.</summary>
    private void RetireRemoved()
    {
        foreach (var (id, after) in _retireAfter.ToArray())
        {
            // As an operator would: only once a voter of the new configuration reports it in force. Stopping a removed
            // member sooner can leave the others, who have not learned the decisions, short of the old configuration's quorum.
            if (!_active.Any(v => v != id && _truth.IsVoter(v) && _nodes[v].Core is { } core && core.Replica.DecidedIndex >= after))
            {
                continue;
            }

            _retireAfter.Remove(id);
            var node = _nodes[id];
            if (node.IsUp)
            {
                Crash(node);
            }

            _active.Remove(id);
            _retired.Add(id);
        }
    }
}
