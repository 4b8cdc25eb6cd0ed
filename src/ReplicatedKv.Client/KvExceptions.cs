using Grpc.Core;

namespace ReplicatedKv.Client;

/// <summary>Base of every error the client reports; <see cref="StatusCode"/> is the gRPC status behind it.</summary>
public class KvException : Exception
{
    public KvException()
    {
    }

    public KvException(string message)
        : base(message)
    {
    }

    public KvException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KvException(string message, StatusCode statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public StatusCode StatusCode { get; }
}

/// <summary>A compare-on-version failed: nothing was applied.</summary>
public sealed class VersionMismatchException : KvException
{
    public VersionMismatchException()
    {
    }

    public VersionMismatchException(string message)
        : base(message)
    {
    }

    public VersionMismatchException(string message, Exception innerException)
        : base(message, StatusCode.FailedPrecondition, innerException)
    {
    }
}

/// <summary>
/// The cluster did not answer within the deadline and the write may or may not have been applied. It will not
/// be applied twice: retrying the same call is safe only with a fresh read first, as for any lost answer.
/// </summary>
public sealed class WriteOutcomeUnknownException : KvException
{
    public WriteOutcomeUnknownException()
    {
    }

    public WriteOutcomeUnknownException(string message)
        : base(message)
    {
    }

    public WriteOutcomeUnknownException(string message, Exception innerException)
        : base(message, StatusCode.Unavailable, innerException)
    {
    }
}

/// <summary>No member answered within the deadline; for a write, it was certainly not applied.</summary>
public sealed class ClusterUnavailableException : KvException
{
    public ClusterUnavailableException()
    {
    }

    public ClusterUnavailableException(string message)
        : base(message)
    {
    }

    public ClusterUnavailableException(string message, Exception innerException)
        : base(message, StatusCode.Unavailable, innerException)
    {
    }
}
