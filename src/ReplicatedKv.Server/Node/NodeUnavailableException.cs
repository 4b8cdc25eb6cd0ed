namespace ReplicatedKv.Server.Node;

/// <summary>The node cannot serve this request now, for the reason in the message (UNAVAILABLE): a refusing disk, a stalled loop.</summary>
public sealed class NodeUnavailableException : Exception
{
    public NodeUnavailableException()
    {
    }

    public NodeUnavailableException(string message)
        : base(message)
    {
    }

    public NodeUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
