using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.Benchmarks.Suite.Etcd;

/// <summary>
/// An etcd cluster for the side-by-side rows: one <c>etcd</c> process per member on free loopback ports, each with its
/// own data directory under the run's folder, every other setting etcd's default (fsync on).
/// </summary>
internal sealed class EtcdCluster(IReadOnlyList<Process> processes, IReadOnlyList<string> clientUrls) : LoadTarget
{
    public const string InstallHint = "etcd is not installed, so the etcd rows are skipped; on Debian: apt-get install etcd-server";

    public override string Store => "etcd";

    public override int Members => processes.Count;

    public override IReadOnlyList<string> ClientUrls => clientUrls;

    public override IReadOnlyList<int> Pids => processes.Select(p => p.Id).ToArray();

    /// <summary>The etcd executable on PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "etcd"))
            .FirstOrDefault(File.Exists);

    /// <summary>What <c>etcd --version</c> says in one line, e.g. "etcd Version: 3.4.23".</summary>
    public static string Version(string etcd)
    {
        using var process = Process.Start(new ProcessStartInfo(etcd, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var first = process.StandardOutput.ReadLine() ?? "";
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return first.Trim();
    }

    public static async Task<EtcdCluster> StartAsync(string etcd, int members, string root)
    {
        var ports = FreePorts.Pick(2 * members);
        string Client(int i) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{ports[2 * i]}");
        string Peer(int i) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{ports[(2 * i) + 1]}");
        var initialCluster = string.Join(',', Enumerable.Range(0, members).Select(i => $"e{i + 1}={Peer(i)}"));
        var processes = new List<Process>();
        for (var i = 0; i < members; i++)
        {
            var dataDir = Path.Combine(root, $"e{i + 1}");
            Directory.CreateDirectory(dataDir);
            var start = new ProcessStartInfo(etcd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dataDir };
            foreach (var arg in new[]
            {
                "--name", $"e{i + 1}", "--data-dir", dataDir,
                "--listen-client-urls", Client(i), "--advertise-client-urls", Client(i),
                "--listen-peer-urls", Peer(i), "--initial-advertise-peer-urls", Peer(i),
                "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "rkv-bench",
            })
            {
                start.ArgumentList.Add(arg);
            }

            // Keep etcd's chatty log out of the progress, but read it so its pipe never fills and blocks it.
            var process = Process.Start(start) ?? throw new InvalidOperationException("could not start etcd");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            processes.Add(process);
        }

        var cluster = new EtcdCluster(processes, Enumerable.Range(0, members).Select(Client).ToArray());
        await cluster.WaitServingAsync().ConfigureAwait(false);
        return cluster;
    }

    public override KvCalls Connect(GrpcChannel channel, KeySet keys) => new EtcdCalls(channel, keys);

    public override async ValueTask DisposeAsync()
    {
        foreach (var process in processes.Where(p => !p.HasExited))
        {
            process.Kill();
        }

        foreach (var process in processes)
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
        }
    }

    /// <summary>A linearizable read answers on every member (so the cluster has a leader and a quorum).</summary>
    private async Task WaitServingAsync()
    {
        foreach (var url in clientUrls)
        {
            using var channel = GrpcChannel.ForAddress(url);
            var client = new KV.KVClient(channel);
            for (var attempt = 0; ; attempt++)
            {
                if (processes.FirstOrDefault(p => p.HasExited) is { } dead)
                {
                    throw new InvalidOperationException($"an etcd member exited with code {dead.ExitCode} while starting");
                }

                try
                {
                    await client.RangeAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("ready?") }, deadline: DateTime.UtcNow.AddSeconds(2));
                    break;
                }
                catch (Grpc.Core.RpcException) when (attempt < 150)
                {
                    await Task.Delay(200).ConfigureAwait(false);
                }
            }
        }
    }
}
