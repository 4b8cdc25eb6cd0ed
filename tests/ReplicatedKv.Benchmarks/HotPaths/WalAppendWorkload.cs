using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>
/// The write-ahead log: one entry record (one 256-byte set) put in a batch and appended to a log in a temporary
/// folder, without the fdatasync (its cost is the disk's, measured by WalAppendBenchmarks; it allocates nothing
/// that grows with load).
/// </summary>
public sealed class WalAppendWorkload : IHotPathWorkload
{
    public const string PathName = "wal-append";
    private static readonly Ballot Leader = new(1, 1);
    private readonly string _directory = BenchmarkFiles.CreateCaseDirectory("wal-alloc");
    private readonly WriteAheadLog _wal;
    private readonly SlotValue _value = new([CommandCodec.Encode(SampleCommands.Set(0))]);
    private long _slot;

    public WalAppendWorkload()
    {
        _wal = WriteAheadLog.Open(new WalOptions { Directory = _directory }, out _);
    }

    public string Name => PathName;

    public void RunOnce()
    {
        var batch = new WalBatch();
        batch.AddEntry(new LogEntry(++_slot, Leader, _value));
        _wal.Append(batch);
    }

    public void Dispose()
    {
        _wal.Dispose();
        BenchmarkFiles.Delete(_directory);
        BenchmarkFiles.DeleteDefaultRootIfEmpty();
    }
}
