using System.Diagnostics;
using Grpc.Net.Client;
using ReplicatedKv.LocalCluster;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>The ceiling host (<see cref="CeilingHost"/>) as a child process: this benchmark's own dll, run again.</summary>
internal sealed class CeilingTarget(Process process, string url) : LoadTarget
{
    public override string Store => "ceiling";

    public override int Members => 1;

    public override IReadOnlyList<string> ClientUrls => [url];

    public override IReadOnlyList<int> Pids => [process.Id];

    public static async Task<CeilingTarget> StartAsync(ServerLocation server)
    {
        var port = FreePorts.Pick(1)[0];
        var start = new ProcessStartInfo(server.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // rkv-server is an ASP.NET Core app and so runs with the server GC: the ceiling must too, or it measures a different runtime.
        start.Environment["DOTNET_gcServer"] = "1";

        // rkv-server's runtimeconfig turns the thread pool's idle spinning off (ReplicatedKv.Server.csproj); so does the ceiling's.
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        start.ArgumentList.Add(typeof(CeilingTarget).Assembly.Location);
        start.ArgumentList.Add("ceiling-host");
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the ceiling host");
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) Console.WriteLine("ceiling | " + line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) Console.Error.WriteLine("ceiling | " + line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var target = new CeilingTarget(process, $"http://127.0.0.1:{port}");
        await target.WaitServingAsync().ConfigureAwait(false);
        return target;
    }

    public override KvCalls Connect(GrpcChannel channel, KeySet keys) => new KeyValueCalls(channel, keys);

    public override async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
    }

    private async Task WaitServingAsync()
    {
        using var channel = GrpcChannel.ForAddress(url);
        var client = new KeyValue.KeyValueClient(channel);
        for (var attempt = 0; ; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the ceiling host exited with code {process.ExitCode}");
            }

            try
            {
                await client.GetAsync(new GetRequest { Key = "ready?" }, deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (Grpc.Core.RpcException) when (attempt < 100)
            {
                await Task.Delay(200).ConfigureAwait(false);
            }
        }
    }
}
