using Grpc.Core;

namespace ReplicatedKv.Client;

/// <summary>Base of every error the client reports; <see cref="StatusCode"/> is the gRPC status behind it.</summary>
public class KvException : Exception
{
    /// <inheritdoc />
    public KvException()
    {
    }

    /// <inheritdoc />
    public KvException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public KvException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An error the cluster (or the client, on its behalf) reported with the gRPC status <paramref name="statusCode"/>.</summary>
    public KvException(string message, StatusCode statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The gRPC status behind the error (<see cref="StatusCode.OK"/> when none was given).</summary>
    public StatusCode StatusCode { get; }
}

/// <summary>A compare-on-version failed: nothing was applied.</summary>
public sealed class VersionMismatchException : KvException
{
    /// <inheritdoc />
    public VersionMismatchException()
    {
    }

    /// <inheritdoc />
    public VersionMismatchException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
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
    /// <inheritdoc />
    public WriteOutcomeUnknownException()
    {
    }

    /// <inheritdoc />
    public WriteOutcomeUnknownException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public WriteOutcomeUnknownException(string message, Exception innerException)
        : base(message, StatusCode.Unavailable, innerException)
    {
    }
}

/// <summary>No member answered within the deadline; for a write, it was certainly not applied.</summary>
public sealed class ClusterUnavailableException : KvException
{
    /// <inheritdoc />
    public ClusterUnavailableException()
    {
    }

    /// <inheritdoc />
    public ClusterUnavailableException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public ClusterUnavailableException(string message, Exception innerException)
        : base(message, StatusCode.Unavailable, innerException)
    {
    }
}
