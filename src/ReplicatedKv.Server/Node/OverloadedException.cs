namespace ReplicatedKv.Server.Node;

/// <summary>The node cannot take more work right now (RESOURCE_EXHAUSTED).</summary>
public sealed class OverloadedException : Exception
{
    public OverloadedException()
    {
    }

    public OverloadedException(string message)
        : base(message)
    {
    }

    public OverloadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
