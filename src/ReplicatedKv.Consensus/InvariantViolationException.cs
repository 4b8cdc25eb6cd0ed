namespace ReplicatedKv.Consensus;

/// <summary>
/// Thrown when the replica finds its own state impossible, or the host broke the driving contract.
/// The replica must not carry on after it: safety can no longer be argued.
/// </summary>
public sealed class InvariantViolationException : Exception
{
    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
