using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>The machine a run measured, and its disk's fdatasync latency measured in the same run.</summary>
internal sealed record MachineInfo(int Cores, string Cpu, string Os, string Dotnet, string? Etcd, double FdatasyncP50Ms, double FdatasyncP99Ms)
{
    private const int Syncs = 200;

    /// <summary>
    /// fdatasync after a 4 KiB append, <see cref="Syncs"/> times in a file in <paramref name="folder"/> (the disk the
    /// nodes' data directories are on): the one-client set target is this p50 + 0.5 ms.
    /// </summary>
    public static MachineInfo Measure(string folder, string? etcdVersion)
    {
        var (p50, p99) = MeasureFdatasync(folder);
        return new MachineInfo(Environment.ProcessorCount, CpuModel(), RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription, etcdVersion, p50, p99);
    }

    private static (double P50, double P99) MeasureFdatasync(string folder)
    {
        var path = Path.Combine(folder, "fdatasync-probe");
        var block = BenchmarkFiles.Payload(4096, seed: 4096);
        var samples = new double[Syncs];
        try
        {
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            for (var i = -20; i < Syncs; i++)
            {
                var offset = (long)(i + 20) * block.Length;
                var start = Stopwatch.GetTimestamp();
                RandomAccess.Write(handle, block, offset);
                Native.DataSync(handle);
                if (i >= 0)
                {
                    samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
        }
        finally
        {
            File.Delete(path);
        }

        Array.Sort(samples);
        return (samples[Syncs / 2], samples[(int)(Syncs * 0.99)]);
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
