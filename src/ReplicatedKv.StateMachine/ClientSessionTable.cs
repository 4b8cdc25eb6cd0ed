using System.Diagnostics.CodeAnalysis;

namespace ReplicatedKv.StateMachine;

/// <summary>
/// The exactly-once table: the latest request per client, kept in order of activity so that forgetting the
/// oldest costs O(1) per forgotten entry.
/// </summary>
/// <remarks>
/// Expiry rule: after every applied command, entries are dropped from the least recently active end while
/// <c>Revision - LastActiveRevision &gt; ClientSessionRevisionWindow</c> or there are more than
/// <c>MaxClientSessions</c>. Activity is recorded at the revision current when a client's new request applies
/// (a retry or a stale request does not count), so the list is ordered by that revision and the rule depends on
/// nothing but the applied commands: every replica forgets the same clients at the same point.
/// </remarks>
internal sealed class ClientSessionTable
{
    private readonly Dictionary<string, LinkedListNode<ClientSession>> _byClient = new(StringComparer.Ordinal);
    private readonly LinkedList<ClientSession> _byActivity = new();

    public int Count => _byClient.Count;

    public bool TryGet(string clientId, [MaybeNullWhen(false)] out ClientSession session)
    {
        if (_byClient.TryGetValue(clientId, out var node))
        {
            session = node.Value;
            return true;
        }

        session = default;
        return false;
    }

    /// <summary>Remembers <paramref name="result"/> as the client's latest and marks the client the most recently active.</summary>
    public void Record(RequestId id, CommandResult result, ulong revision)
    {
        var session = new ClientSession(id.ClientId, id.Sequence, result, revision);
        if (_byClient.TryGetValue(id.ClientId, out var node))
        {
            _byActivity.Remove(node);
            node.Value = session;
            _byActivity.AddLast(node);
        }
        else
        {
            _byClient.Add(id.ClientId, _byActivity.AddLast(session));
        }
    }

    public void Expire(ulong revision, StateMachineOptions options)
    {
        while (_byActivity.First is { } oldest &&
               (revision - oldest.Value.LastActiveRevision > options.ClientSessionRevisionWindow || _byClient.Count > options.MaxClientSessions))
        {
            _byActivity.RemoveFirst();
            _byClient.Remove(oldest.Value.ClientId);
        }
    }

    /// <summary>A copy of every entry, least recently active first: the order <see cref="Restore"/> needs.</summary>
    public ClientSession[] Freeze()
    {
        var sessions = new ClientSession[_byActivity.Count];
        _byActivity.CopyTo(sessions, 0);
        return sessions;
    }

    /// <summary>Appends an entry read from a snapshot; entries must come least recently active first.</summary>
    public void Restore(ClientSession session)
    {
        if (_byActivity.Last is { } newest && newest.Value.LastActiveRevision > session.LastActiveRevision)
        {
            throw new SnapshotFormatException($"client entries are out of activity order at client '{session.ClientId}'");
        }

        var node = new LinkedListNode<ClientSession>(session);
        if (!_byClient.TryAdd(session.ClientId, node))
        {
            throw new SnapshotFormatException($"client '{session.ClientId}' appears twice");
        }

        _byActivity.AddLast(node);
    }
}
