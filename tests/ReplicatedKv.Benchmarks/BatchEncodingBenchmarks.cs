using System.Buffers;
using BenchmarkDotNet.Attributes;
using ReplicatedKv.Consensus;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// CPU only, no I/O: what the log spends building a batch before it reaches the disk. <c>NewWalBatch</c> is what
/// every commit in <see cref="WalAppendBenchmarks"/> does (a fresh <see cref="WalBatch"/>, whose buffer starts at
/// 4 KiB and grows by doubling); <c>ReusedBuffer</c> writes the same frames with <see cref="WalFormat.WriteEntry"/>
/// into one buffer kept across invocations: the framing and CRC cost alone, without the per-batch allocations.
/// Times are per record (OperationsPerInvoke = BatchSize, see <see cref="DiskThroughputConfig"/>).
/// </summary>
[Config(typeof(DiskThroughputConfig))]
[MemoryDiagnoser]
public class BatchEncodingBenchmarks
{
    private const string Fresh = "NewWalBatch";
    private const string Reused = "ReusedBuffer";
    private static readonly Ballot LeaderBallot = new(1, 1);
    private readonly ArrayBufferWriter<byte> _reused = new();
    private SlotValue _value = SlotValue.NoOp;
    private long _slot;

    [Params(1, 16, 256)]
    public int BatchSize { get; set; }

    [Params(100, 4096)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _value = new SlotValue([BenchmarkFiles.Payload(RecordSize, RecordSize)]);
        _slot = 0;
    }

    [Benchmark(OperationsPerInvoke = 1, Description = Fresh)]
    public WalBatch NewBatch1() => NewBatch();

    [Benchmark(OperationsPerInvoke = 16, Description = Fresh)]
    public WalBatch NewBatch16() => NewBatch();

    [Benchmark(OperationsPerInvoke = 256, Description = Fresh)]
    public WalBatch NewBatch256() => NewBatch();

    [Benchmark(OperationsPerInvoke = 1, Description = Reused)]
    public int Reused1() => EncodeReused();

    [Benchmark(OperationsPerInvoke = 16, Description = Reused)]
    public int Reused16() => EncodeReused();

    [Benchmark(OperationsPerInvoke = 256, Description = Reused)]
    public int Reused256() => EncodeReused();

    private WalBatch NewBatch()
    {
        var batch = new WalBatch();
        for (var i = 0; i < BatchSize; i++)
        {
            batch.AddEntry(new LogEntry(++_slot, LeaderBallot, _value));
        }

        return batch;
    }

    private int EncodeReused()
    {
        _reused.ResetWrittenCount();
        for (var i = 0; i < BatchSize; i++)
        {
            WalFormat.WriteEntry(_reused, new LogEntry(++_slot, LeaderBallot, _value));
        }

        return _reused.WrittenCount;
    }
}
