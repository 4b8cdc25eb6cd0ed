namespace ReplicatedKv.StateMachine.Backup;

/// <summary>A backup file that cannot be trusted: not a backup, damaged, truncated. The message is one line, fit for an operator.</summary>
public sealed class BackupFileException : Exception
{
    public BackupFileException()
    {
    }

    public BackupFileException(string message)
        : base(message)
    {
    }

    public BackupFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
