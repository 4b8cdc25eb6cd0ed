using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>
/// The consensus core alone: three replicas wired by an in-memory queue, node 1 elected; one operation is one
/// command proposed on the leader and every message that follows (accept, accepted, decide) stepped until all
/// three are quiet. Persisting is instant and free here, so only the cores' own allocations count.
/// Kept small and on its own: the core's API is being reworked, and whoever changes it adapts only this file.
/// </summary>
public sealed class ConsensusRoundWorkload : IHotPathWorkload
{
    public const string PathName = "consensus-accept-round";
    private static readonly int[] Members = [1, 2, 3];
    private readonly PaxosReplica[] _replicas = Members.Select(id => new PaxosReplica(new ReplicaConfig { NodeId = id, Members = Members })).ToArray();
    private readonly Queue<PeerMessage> _inFlight = new();
    private readonly ReadOnlyMemory<byte>[] _commands = SampleCommands.Sets().Select(c => (ReadOnlyMemory<byte>)CommandCodec.Encode(c)).ToArray();
    private int _next;

    public ConsensusRoundWorkload()
    {
        _replicas[0].Campaign();
        Pump();
        if (_replicas[0].Role != Role.Leader)
        {
            throw new InvalidOperationException("node 1 was not elected; the workload's election no longer fits the core");
        }
    }

    public string Name => PathName;

    public void RunOnce()
    {
        var decided = _replicas[0].DecidedIndex;
        _replicas[0].Propose(_commands[_next++ % _commands.Length]);
        Pump();
        if (_replicas[0].DecidedIndex <= decided)
        {
            throw new InvalidOperationException("the proposal was not decided");
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Hands out every Ready and delivers every message until no replica has anything to do.</summary>
    private void Pump()
    {
        bool busy;
        do
        {
            busy = false;
            foreach (var replica in _replicas)
            {
                while (replica.HasReady)
                {
                    busy = true;
                    var ready = replica.GetReady();
                    Enqueue(ready.Messages);
                    Enqueue(ready.MessagesAfterPersist);
                    replica.Advance();
                }
            }

            while (_inFlight.TryDequeue(out var message))
            {
                busy = true;
                _replicas[message.To - 1].Step(message);
            }
        }
        while (busy);
    }

    private void Enqueue(IReadOnlyList<PeerMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            _inFlight.Enqueue(messages[i]);
        }
    }
}
