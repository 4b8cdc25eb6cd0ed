namespace ReplicatedKv.StateMachine;

/// <summary>
/// What one applied command produced, small enough to keep per client for retries and to hand to the waiting
/// client as is.
/// </summary>
/// <param name="Status">How the command ended.</param>
/// <param name="Version">
/// For <see cref="CommandStatus.Ok"/>: the revision the write was given (for a set, the key's new version; for a
/// remove, the revision of the deletion). For <see cref="CommandStatus.FailedPrecondition"/>: the key's current
/// version, 0 when absent. Otherwise 0.
/// </param>
/// <param name="IsDuplicate">
/// True when the command was a retry of a request already applied: nothing applied now, and this is the first
/// application's result.
/// </param>
public readonly record struct CommandResult(CommandStatus Status, ulong Version, bool IsDuplicate = false)
{
    public static CommandResult NotFound => new(CommandStatus.NotFound, 0);

    public static CommandResult StaleRequest => new(CommandStatus.StaleRequest, 0);

    public static CommandResult Invalid => new(CommandStatus.Invalid, 0);

    /// <summary>For a remove: whether it deleted the key (the protocol's <c>removed</c>).</summary>
    public bool Removed => Status == CommandStatus.Ok;

    public static CommandResult Ok(ulong version) => new(CommandStatus.Ok, version);

    public static CommandResult FailedPrecondition(ulong currentVersion) => new(CommandStatus.FailedPrecondition, currentVersion);

    /// <summary>This result as returned to a retry of the request that produced it.</summary>
    public CommandResult AsDuplicate() => this with { IsDuplicate = true };
}
