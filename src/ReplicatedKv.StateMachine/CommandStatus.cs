namespace ReplicatedKv.StateMachine;

/// <summary>How applying one command ended. The numeric values are stored in snapshots: never renumber.</summary>
public enum CommandStatus : byte
{
    /// <summary>The write applied; the result's version is the revision it was given.</summary>
    Ok = 1,

    /// <summary>An unconditional remove of a key that was absent (removed = false); nothing applied.</summary>
    NotFound = 2,

    /// <summary>The ifVersion guard did not hold; nothing applied. The result's version is the key's current version (0 when absent).</summary>
    FailedPrecondition = 3,

    /// <summary>The request's sequence is older than the client's latest one; its outcome is no longer known, nothing applied.</summary>
    StaleRequest = 4,

    /// <summary>The bytes did not decode as a command; nothing applied.</summary>
    Invalid = 5,
}
