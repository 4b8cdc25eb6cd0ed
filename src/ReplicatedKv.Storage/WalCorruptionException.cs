namespace ReplicatedKv.Storage;

/// <summary>
/// The log holds a damaged record that is not a torn tail. Starting anyway could drop writes this node
/// acknowledged, so the node must refuse to start; the message names the file and offset.
/// </summary>
public sealed class WalCorruptionException : Exception
{
    public WalCorruptionException()
    {
    }

    public WalCorruptionException(string message)
        : base(message)
    {
    }

    public WalCorruptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
