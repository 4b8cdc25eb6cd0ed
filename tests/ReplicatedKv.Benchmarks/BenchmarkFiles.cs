namespace ReplicatedKv.Benchmarks;

/// <summary>
/// Where the benchmarks put their files: <c>RKV_BENCH_DIR</c> when set, else <c>.rkv-bench</c> under the
/// current directory. The WAL and the raw baselines use the same folder, so they measure the same disk.
/// </summary>
public static class BenchmarkFiles
{
    public const string DirectoryVariable = "RKV_BENCH_DIR";

    public static string Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(DirectoryVariable);
            return Path.GetFullPath(string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(Environment.CurrentDirectory, ".rkv-bench")
                : configured);
        }
    }

    /// <summary>A fresh, empty folder for one benchmark case.</summary>
    public static string CreateCaseDirectory(string name)
    {
        var path = Path.Combine(Root, $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string? path)
    {
        if (path is not null && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>Removes the root folder once every case cleaned up after itself (only for the default one).</summary>
    public static void DeleteDefaultRootIfEmpty()
    {
        var root = Root;
        if (Directory.Exists(root) && !Directory.EnumerateFileSystemEntries(root).Any())
        {
            Directory.Delete(root);
        }
    }

    /// <summary>Incompressible, reproducible payload bytes.</summary>
    public static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
