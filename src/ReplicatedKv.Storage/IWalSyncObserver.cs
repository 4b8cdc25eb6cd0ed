namespace ReplicatedKv.Storage;

/// <summary>
/// Told about every fdatasync of appended log records, so a host can measure the disk without the storage library
/// depending on a metrics package. Called on the log's writer thread, inside <see cref="WriteAheadLog.Sync"/>:
/// keep it short and never throw.
/// </summary>
public interface IWalSyncObserver
{
    /// <param name="duration">How long the fdatasync call took (the write before it is not included).</param>
    /// <param name="commands">Client commands in the log entries this sync made durable (0 for hard state only).</param>
    /// <param name="bytes">Bytes this sync made durable.</param>
    void OnSynced(TimeSpan duration, int commands, long bytes);
}
