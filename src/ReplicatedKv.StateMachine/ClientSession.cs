namespace ReplicatedKv.StateMachine;

/// <summary>
/// What the state machine remembers about one client: its latest applied request and that request's result,
/// and when it was last active (the revision at the time), which decides when it is forgotten.
/// </summary>
internal readonly record struct ClientSession(string ClientId, ulong Sequence, CommandResult Result, ulong LastActiveRevision);
