#if RKV_FAULT_INJECTION
namespace ReplicatedKv.Storage;

/// <summary>
/// Deliberate storage bugs, compiled only into test builds (like ReplicaFaults in the consensus core): the seeded
/// simulator turns one on to prove its crash model and checkers catch a log that breaks its durability promise.
/// </summary>
/// <param name="SkipFsync">
/// <see cref="WriteAheadLog.Sync"/> reports success without the fdatasync: records are acknowledged before they are
/// durable, and a power cut may take any of them.
/// </param>
public readonly record struct StorageFaults(bool SkipFsync);
#endif
