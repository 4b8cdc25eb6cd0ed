namespace ReplicatedKv.StateMachine;

/// <summary>
/// Bytes that are not a command in any format <see cref="CommandCodec"/> knows. The host rejects such a proposal
/// before it reaches the log; if one is decided anyway, applying it is the deterministic no-op
/// <see cref="CommandStatus.Invalid"/>, never this exception.
/// </summary>
public sealed class CommandFormatException : FormatException
{
    public CommandFormatException()
    {
    }

    public CommandFormatException(string message)
        : base(message)
    {
    }

    public CommandFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
