using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// The disk's sequential write bandwidth limit, on the same folder as the log: each invocation appends one
/// large chunk to a file and calls fdatasync. The best MB/s over the chunk sizes is the limit the batch-256
/// WAL figure is compared with. (A class of its own rather than a method of <see cref="RawDiskBenchmarks"/>,
/// whose BatchSize × RecordSize parameters would only run it six times over.)
/// </summary>
[Config(typeof(DiskThroughputConfig))]
public class WriteBandwidthBenchmarks
{
    private string? _directory;
    private SafeFileHandle? _file;
    private byte[] _chunk = [];
    private long _end;

    [Params(1 << 20, 8 << 20)]
    public int ChunkBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchmarkFiles.CreateCaseDirectory($"seq-{ChunkBytes}");
        _file = File.OpenHandle(Path.Combine(_directory, "seq.dat"), FileMode.CreateNew, FileAccess.ReadWrite);
        _chunk = BenchmarkFiles.Payload(ChunkBytes, ChunkBytes);
        _end = 0;
    }

    [Benchmark(Description = "SequentialAppendFdatasync")]
    public void AppendChunk()
    {
        RandomAccess.Write(_file!, _chunk, _end);
        _end += _chunk.Length;
        Native.DataSync(_file!);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _file?.Dispose();
        _file = null;
        BenchmarkFiles.Delete(_directory);
        _directory = null;
    }
}
