using Grpc.Core;

namespace ReplicatedKv.Client;

/// <summary>
/// The leader refused a membership change by the rules (another change pending, a removal leaving too few voters
/// to run, a promotion of a member still lagging): nothing changed. The message gives the leader's reason.
/// </summary>
public sealed class MemberChangeRefusedException : KvException
{
    /// <inheritdoc />
    public MemberChangeRefusedException()
    {
    }

    /// <inheritdoc />
    public MemberChangeRefusedException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public MemberChangeRefusedException(string message, Exception innerException)
        : base(message, StatusCode.FailedPrecondition, innerException)
    {
    }
}

/// <summary>The member named is not in the configuration (promote, remove): nothing changed.</summary>
public sealed class MemberNotFoundException : KvException
{
    /// <inheritdoc />
    public MemberNotFoundException()
    {
    }

    /// <inheritdoc />
    public MemberNotFoundException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public MemberNotFoundException(string message, Exception innerException)
        : base(message, StatusCode.NotFound, innerException)
    {
    }

    /// <summary>The member <paramref name="nodeId"/> is not in the configuration.</summary>
    public MemberNotFoundException(string message, string nodeId, Exception? innerException = null)
        : base(message, StatusCode.NotFound, innerException)
    {
        NodeId = nodeId;
    }

    /// <summary>The node id asked for.</summary>
    public string? NodeId { get; }
}

/// <summary>The node id to add is a member already: nothing changed.</summary>
public sealed class MemberExistsException : KvException
{
    /// <inheritdoc />
    public MemberExistsException()
    {
    }

    /// <inheritdoc />
    public MemberExistsException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public MemberExistsException(string message, Exception innerException)
        : base(message, StatusCode.AlreadyExists, innerException)
    {
    }

    /// <summary>The member <paramref name="nodeId"/> is in the configuration already.</summary>
    public MemberExistsException(string message, string nodeId, Exception? innerException = null)
        : base(message, StatusCode.AlreadyExists, innerException)
    {
        NodeId = nodeId;
    }

    /// <summary>The node id asked for.</summary>
    public string? NodeId { get; }
}
