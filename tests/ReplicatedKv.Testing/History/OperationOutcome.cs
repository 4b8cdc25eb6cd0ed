namespace ReplicatedKv.Testing.History;

/// <summary>How an operation ended, as far as the client can know.</summary>
public enum OperationOutcome
{
    /// <summary>Completed with a result (for a compare-and-set whose guard held).</summary>
    Ok,

    /// <summary>A compare-and-set whose guard did not hold: definitely not applied; the reply names the current version.</summary>
    VersionMismatch,

    /// <summary>Definitely not applied (never sent, or refused before it could take effect): the checker drops it.</summary>
    Failed,

    /// <summary>Timeout or lost connection: may take effect at any point after its invoke, or never.</summary>
    Unknown,
}
