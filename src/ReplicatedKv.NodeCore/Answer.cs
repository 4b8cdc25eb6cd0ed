using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore;

/// <summary>What a read asks: the value and version, only whether the key exists, or a page of keys.</summary>
public enum ReadKind
{
    Get,
    Contains,
    List,
}

/// <summary>
/// The answer to a read: found or not, and when found the value, its modification revision (<see cref="Version"/>,
/// what compare-and-set compares), the key's create revision and its own version. A listing's answer is its <see cref="Page"/>.
/// </summary>
public readonly record struct ReadResult(bool Found, ReadOnlyMemory<byte> Value, ulong Version, ulong CreateRevision = 0, ulong KeyVersion = 0, ListPage? Page = null);

/// <summary>How a caller's request ended.</summary>
public enum AnswerKind
{
    /// <summary>The write was applied here; <see cref="Answer.Write"/> is the state machine's result.</summary>
    WriteApplied,

    /// <summary>The read was served; <see cref="Answer.Read"/> holds it.</summary>
    ReadServed,

    /// <summary>Refused for load (the leader's queue or the read-index table is full); nothing was applied.</summary>
    Overloaded,

    /// <summary>The membership change was decided and applied here; <see cref="Answer.Reason"/> names the new configuration.</summary>
    MembershipChanged,

    /// <summary>The membership change was refused or given up before it reached the log; <see cref="Answer.Reason"/> says why.</summary>
    Refused,
}

/// <summary>One answer to one caller, named by the number the host gave the request when it submitted it.</summary>
public readonly record struct Answer(long Caller, AnswerKind Kind, CommandResult Write = default, ReadResult Read = default, string? Reason = null);
