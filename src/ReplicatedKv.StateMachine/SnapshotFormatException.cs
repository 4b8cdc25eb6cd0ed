namespace ReplicatedKv.StateMachine;

/// <summary>
/// A snapshot payload that is truncated, damaged or in an unknown format. Restoring from it would build a state
/// no other replica has, so restore refuses instead.
/// </summary>
public sealed class SnapshotFormatException : Exception
{
    public SnapshotFormatException()
    {
    }

    public SnapshotFormatException(string message)
        : base(message)
    {
    }

    public SnapshotFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
