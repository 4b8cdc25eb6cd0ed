namespace ReplicatedKv.Storage;

/// <summary>
/// A write could not be made durable (disk full, I/O error). Nothing of the failed batch counts as written;
/// the log stays intact and later writes are tried afresh, so service resumes once the disk recovers.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
