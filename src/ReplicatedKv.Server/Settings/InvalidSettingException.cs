namespace ReplicatedKv.Server.Settings;

/// <summary>A setting that cannot be used; the message is the one line an operator sees before the exit.</summary>
public sealed class InvalidSettingException : Exception
{
    public InvalidSettingException()
    {
    }

    public InvalidSettingException(string message)
        : base(message)
    {
    }

    public InvalidSettingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
