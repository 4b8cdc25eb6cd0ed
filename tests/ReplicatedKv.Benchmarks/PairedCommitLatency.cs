using System.Diagnostics;
using System.Globalization;
using ReplicatedKv.Consensus;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// <c>paired</c>: commits one WAL batch, then does the raw disk's append + fdatasync of the same framed bytes,
/// alternating thousands of times in one process, and compares the medians. Fsync latency on a shared or
/// virtual disk drifts over seconds, so cases measured minutes apart (as BenchmarkDotNet runs them) can
/// differ by more than the WAL's own overhead; alternating cancels the drift.
/// </summary>
internal static class PairedCommitLatency
{
    private static readonly Ballot LeaderBallot = new(1, 1);

    public static async Task RunAsync(int rounds)
    {
        Console.WriteLine("| batch | record | WAL median µs | raw median µs | WAL p90 µs | raw p90 µs | WAL records/s | raw fdatasync/s | WAL / raw |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (batchSize, recordSize) in new[] { (1, 100), (1, 4096), (16, 100), (16, 4096), (256, 100), (256, 4096) })
        {
            await MeasureAsync(batchSize, recordSize, rounds);
        }
    }

    private static async Task MeasureAsync(int batchSize, int recordSize, int rounds)
    {
        var directory = BenchmarkFiles.CreateCaseDirectory($"paired-{batchSize}x{recordSize}");
        try
        {
            var value = new SlotValue([BenchmarkFiles.Payload(recordSize, recordSize)]);
            var framed = new byte[batchSize * WalAppendBenchmarks.FramedRecordBytes(recordSize)];
            var wal = WriteAheadLog.Open(new WalOptions { Directory = Path.Combine(directory, "wal") }, out _);
            await using (wal.ConfigureAwait(false))
            {
                using var raw = File.OpenHandle(Path.Combine(directory, "raw.bin"), FileMode.Create, FileAccess.ReadWrite);
                var walTimes = new double[rounds];
                var rawTimes = new double[rounds];
                long slot = 0, offset = 0;
                for (var round = 0; round < rounds; round++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var batch = new WalBatch(framed.Length);
                    for (var i = 0; i < batchSize; i++)
                    {
                        batch.AddEntry(new LogEntry(++slot, LeaderBallot, value));
                    }

                    wal.Append(batch);
                    wal.Sync();
                    walTimes[round] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;

                    started = Stopwatch.GetTimestamp();
                    RandomAccess.Write(raw, framed, offset);
                    offset += framed.Length;
                    Native.DataSync(raw);
                    rawTimes[round] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                }

                Array.Sort(walTimes);
                Array.Sort(rawTimes);
                double Median(double[] t) => t[t.Length / 2];
                double P90(double[] t) => t[t.Length * 9 / 10];
                var walRate = batchSize * 1e6 / Median(walTimes);
                var rawRate = 1e6 / Median(rawTimes);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {batchSize} | {recordSize} B | {Median(walTimes):F0} | {Median(rawTimes):F0} | {P90(walTimes):F0} | {P90(rawTimes):F0} | {walRate:N0} | {rawRate:N0} | {Median(rawTimes) / Median(walTimes):P0} |"));
            }
        }
        finally
        {
            BenchmarkFiles.Delete(directory);
        }
    }
}
