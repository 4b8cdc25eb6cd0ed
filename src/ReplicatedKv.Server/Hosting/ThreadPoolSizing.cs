namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// Raises the thread pool's minimum to <see cref="Settings.ServerSettings.MinThreads"/> before Kestrel starts. Below the
/// minimum the pool starts a thread as soon as work waits; above it, only one or two a second. A node restarted into a
/// crowd of reconnecting clients queues thousands of calls at once, and on a busy 2-core machine Kestrel reported
/// starvation for seconds. It only ever raises the minimum: several nodes may share one process (the test clusters).
/// </summary>
internal static class ThreadPoolSizing
{
    /// <returns>The minimum worker threads now in force.</returns>
    public static int Raise(int minThreads)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < minThreads || completionPorts < minThreads)
        {
            ThreadPool.SetMinThreads(Math.Max(workers, minThreads), Math.Max(completionPorts, minThreads));
        }

        ThreadPool.GetMinThreads(out workers, out _);
        return workers;
    }
}
