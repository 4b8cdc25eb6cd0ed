namespace ReplicatedKv.StateMachine;

/// <summary>
/// Names one client request so that a retry of it (after a timeout, a leader change, a reconnect) is applied at
/// most once. A client numbers its requests with an increasing <see cref="Sequence"/> and waits for each answer
/// before sending the next: only the latest sequence per client is remembered.
/// </summary>
public readonly record struct RequestId
{
    public RequestId(string clientId, ulong sequence)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ClientId = clientId;
        Sequence = sequence;
    }

    /// <summary>The client's stable, unique name (a UUID is typical).</summary>
    public string ClientId { get; }

    /// <summary>The request's number within the client; increases with every new request.</summary>
    public ulong Sequence { get; }

    public override string ToString() => $"{ClientId}#{Sequence}";
}
