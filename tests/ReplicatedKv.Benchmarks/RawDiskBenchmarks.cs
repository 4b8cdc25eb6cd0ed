using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// The raw fdatasync rate of the disk under the log, for the WAL's own pattern: each invocation appends
/// <see cref="BatchSize"/> × <see cref="RecordSize"/> bytes at the end of a file in one write and calls
/// fdatasync once. No framing, no encoding, no thread hand-off: the ceiling for <see cref="WalAppendBenchmarks"/>
/// with the same parameters. Times are per record (OperationsPerInvoke = BatchSize, see
/// <see cref="DiskThroughputConfig"/>).
/// </summary>
[Config(typeof(DiskThroughputConfig))]
public class RawDiskBenchmarks
{
    private const string Method = "AppendFdatasync";
    private string? _directory;
    private SafeFileHandle? _file;
    private byte[] _block = [];
    private long _end;

    [Params(1, 16, 256)]
    public int BatchSize { get; set; }

    [Params(100, 4096)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchmarkFiles.CreateCaseDirectory($"raw-{BatchSize}x{RecordSize}");
        _file = File.OpenHandle(Path.Combine(_directory, "raw.dat"), FileMode.CreateNew, FileAccess.ReadWrite);
        _block = BenchmarkFiles.Payload(BatchSize * RecordSize, RecordSize);
        _end = 0;
    }

    [Benchmark(OperationsPerInvoke = 1, Description = Method)]
    public void Batch1() => AppendAndSync();

    [Benchmark(OperationsPerInvoke = 16, Description = Method)]
    public void Batch16() => AppendAndSync();

    [Benchmark(OperationsPerInvoke = 256, Description = Method)]
    public void Batch256() => AppendAndSync();

    [GlobalCleanup]
    public void Cleanup()
    {
        _file?.Dispose();
        _file = null;
        BenchmarkFiles.Delete(_directory);
        _directory = null;
    }

    private void AppendAndSync()
    {
        RandomAccess.Write(_file!, _block, _end);
        _end += _block.Length;
        Native.DataSync(_file!);
    }
}
