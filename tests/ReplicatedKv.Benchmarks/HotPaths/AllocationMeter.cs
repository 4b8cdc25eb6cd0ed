namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>
/// Bytes a workload allocates per operation: the calling thread's allocation counter across many operations after
/// a warm-up (first-call work, pools filling, tables reaching their steady size). A count, not a time, so it is the
/// same on a busy machine; run it with tiered compilation off (the test project does) so the code measured is
/// always the fully optimised one, never a tier-0 version that a background thread may swap mid-run.
/// </summary>
public static class AllocationMeter
{
    public const int WarmUpOperations = 2_000;
    public const int MeasuredOperations = 10_000;

    public static double BytesPerOperation(IHotPathWorkload workload, int warmUp = WarmUpOperations, int operations = MeasuredOperations)
    {
        ArgumentNullException.ThrowIfNull(workload);
        for (var i = 0; i < warmUp; i++)
        {
            workload.RunOnce();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < operations; i++)
        {
            workload.RunOnce();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)operations;
    }
}
