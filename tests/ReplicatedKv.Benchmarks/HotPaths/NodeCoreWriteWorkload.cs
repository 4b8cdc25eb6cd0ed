using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>
/// The node core: three cores (consensus and state machine each) wired by in-memory queues, node 1 elected; one
/// operation is one client set submitted on the leader and carried until the leader answers it (proposed, accepted,
/// decided, applied on every node). Persisting is instant and free here, so only the cores' own allocations count.
/// Kept small and on its own: the node core's API is being reworked, and whoever changes it adapts only this file.
/// </summary>
public sealed class NodeCoreWriteWorkload : IHotPathWorkload
{
    public const string PathName = "node-core-write";
    private static readonly int[] Members = [1, 2, 3];
    private readonly NodeCore.NodeCore[] _cores = Members.Select(id => new NodeCore.NodeCore(
        new NodeCoreConfig { Replica = new ReplicaConfig { NodeId = id, Members = Members }, Incarnation = 1 }, null, new KeyValueStateMachine())).ToArray();

    private readonly Queue<PeerMessage> _consensus = new();
    private readonly Queue<RoutingMessage> _routing = new();
    private readonly KvCommand[] _commands = SampleCommands.Sets();
    private long _caller;
    private long _answered;

    public NodeCoreWriteWorkload()
    {
        _cores[0].Replica.Campaign();
        Pump();
        if (_cores[0].Replica.Role != Role.Leader)
        {
            throw new InvalidOperationException("node 1 was not elected; the workload's election no longer fits the node core");
        }
    }

    public string Name => PathName;

    public void RunOnce()
    {
        var caller = ++_caller;
        _cores[0].SubmitWrite(caller, _commands[caller % _commands.Length]);
        Pump();
        if (_answered != caller)
        {
            throw new InvalidOperationException($"write {caller} was not answered");
        }
    }

    public void Dispose()
    {
    }

    private void Pump()
    {
        bool busy;
        do
        {
            busy = false;
            foreach (var core in _cores)
            {
                while (core.HasReady)
                {
                    busy = true;
                    var ready = core.GetReady();
                    EnqueueAll(ready.Consensus.Messages);
                    EnqueueAll(ready.Consensus.MessagesAfterPersist);
                    for (var i = 0; i < ready.RoutingMessages.Count; i++)
                    {
                        _routing.Enqueue(ready.RoutingMessages[i]);
                    }

                    var answers = core.Advance();
                    for (var i = 0; i < answers.Count; i++)
                    {
                        if (answers[i].Kind == AnswerKind.WriteApplied)
                        {
                            _answered = answers[i].Caller;
                        }
                    }
                }
            }

            while (_consensus.TryDequeue(out var message))
            {
                busy = true;
                _cores[message.To - 1].Step(message);
            }

            while (_routing.TryDequeue(out var message))
            {
                busy = true;
                _cores[message.To - 1].Step(message);
            }
        }
        while (busy);
    }

    private void EnqueueAll(IReadOnlyList<PeerMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            _consensus.Enqueue(messages[i]);
        }
    }
}
