using BenchmarkDotNet.Attributes;
using ReplicatedKv.Consensus;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// Fsynced appends through <see cref="WriteAheadLog"/>: each invocation encodes ONE batch of
/// <see cref="BatchSize"/> entry records of <see cref="RecordSize"/> payload bytes, appends it and syncs
/// (one fdatasync), as the node loop does with one Ready: this is the log's cost per durable batch, the figure the raw-disk baselines bound. Segments have the default size
/// (64 MiB), so the heavier cases include segment rolls (a new file, a directory fsync, one more fdatasync).
/// </summary>
/// <remarks>
/// BenchmarkDotNet's OperationsPerInvoke must be a constant, so there is one method per batch size, each
/// with OperationsPerInvoke equal to it (times are per record), and <see cref="DiskThroughputConfig"/> keeps
/// only the method whose OperationsPerInvoke matches the BatchSize parameter.
/// </remarks>
[Config(typeof(DiskThroughputConfig))]
[MemoryDiagnoser]
public class WalAppendBenchmarks
{
    private const string Method = "WalCommit";
    private static readonly Ballot LeaderBallot = new(1, 1);
    private string? _directory;
    private WriteAheadLog? _wal;
    private SlotValue _value = SlotValue.NoOp;
    private long _slot;
    private long _commits;

    [Params(1, 16, 256)]
    public int BatchSize { get; set; }

    [Params(100, 4096)]
    public int RecordSize { get; set; }

    /// <summary>Bytes one entry record of <paramref name="recordSize"/> payload bytes takes in the log (frame included).</summary>
    public static int FramedRecordBytes(int recordSize)
    {
        var batch = new WalBatch();
        batch.AddEntry(new LogEntry(1, LeaderBallot, new SlotValue([new byte[recordSize]])));
        return batch.Length;
    }

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchmarkFiles.CreateCaseDirectory($"wal-{BatchSize}x{RecordSize}");
        _wal = WriteAheadLog.Open(new WalOptions { Directory = _directory }, out _);
        _value = new SlotValue([BenchmarkFiles.Payload(RecordSize, RecordSize)]);
        _slot = 0;
        _commits = 0;
    }

    [Benchmark(OperationsPerInvoke = 1, Description = Method)]
    public void Batch1() => CommitOneBatch();

    [Benchmark(OperationsPerInvoke = 16, Description = Method)]
    public void Batch16() => CommitOneBatch();

    [Benchmark(OperationsPerInvoke = 256, Description = Method)]
    public void Batch256() => CommitOneBatch();

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_wal is not null)
        {
            // Goes to the benchmark's log: exactly one fdatasync per commit, except one more per segment roll.
            Console.WriteLine(
                $"// WAL {BatchSize}x{RecordSize}: {_commits} commits, {_wal.Syncs} fdatasyncs, " +
                $"{_wal.SegmentCount} segments, {_wal.BytesWritten} bytes ({(double)_wal.BytesWritten / Math.Max(1, _commits):F0} per commit)");
            _wal.Dispose();
            _wal = null;
        }

        BenchmarkFiles.Delete(_directory);
        _directory = null;
    }

    private void CommitOneBatch()
    {
        var batch = new WalBatch();
        for (var i = 0; i < BatchSize; i++)
        {
            batch.AddEntry(new LogEntry(++_slot, LeaderBallot, _value));
        }

        _commits++;
        _wal!.Append(batch);
        _wal.Sync();
    }
}
