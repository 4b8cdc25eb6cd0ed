namespace ReplicatedKv.StateMachine;

/// <summary>
/// Limits of the exactly-once client table. They are part of the replicated function: every replica must use
/// the same values, or their tables (and so their answers to retries) drift apart.
/// </summary>
public sealed record StateMachineOptions
{
    /// <summary>
    /// A client's entry is forgotten once this many revisions (applied writes, by anyone) have passed since its
    /// last request was applied. A retry arriving later is applied again as if new, so this must comfortably
    /// exceed the writes that can happen while a client is still retrying.
    /// </summary>
    public ulong ClientSessionRevisionWindow { get; init; } = 1_000_000;

    /// <summary>
    /// Most client entries kept. Beyond it the least recently active is forgotten first. This bounds the table
    /// even when revisions do not advance (a stream of new clients whose requests all fail their precondition).
    /// </summary>
    public int MaxClientSessions { get; init; } = 100_000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxClientSessions, 1, nameof(MaxClientSessions));
    }
}
