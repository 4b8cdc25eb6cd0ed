using System.Diagnostics;

namespace ReplicatedKv.LocalCluster;

/// <summary>One running rkv-server: <c>dotnet rkv-server.dll ...</c>, its output relayed line by line with its node id.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;

    private NodeProcess(NodeLayout layout, Process process)
    {
        Layout = layout;
        _process = process;
        Pid = process.Id;

        // WaitForExitAsync also waits for the last redirected output line, so nothing a node says is lost.
        Exited = WaitAsync(process);
    }

    public NodeLayout Layout { get; }

    public int Pid { get; }

    /// <summary>Completes with the exit code once the process is gone.</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    /// <summary>Set before the user's stop or kill, so its exit is not reported as the node dying on its own.</summary>
    public bool StoppedByUser { get; set; }

    public static NodeProcess Start(int index, NodeLayout layout, IReadOnlyList<NodeLayout> cluster, ServerLocation server,
        IReadOnlyList<string> serverFlags, string peerSecret, ConsoleOutput console) =>
        Start(index, layout, [.. cluster.Select(n => n.Address)], server, serverFlags, peerSecret, console);

    /// <summary>Starts a node whose --peers and --member-client-urls list <paramref name="cluster"/> (a joining node: the configuration it joins).</summary>
    public static NodeProcess Start(int index, NodeLayout layout, IReadOnlyList<MemberAddress> cluster, ServerLocation server,
        IReadOnlyList<string> serverFlags, string peerSecret, ConsoleOutput console)
    {
        var start = new ProcessStartInfo(server.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,

            // rkv-server reads appsettings.json from its working directory: start it in its own data folder so a
            // stray appsettings.json where the user happens to stand cannot reconfigure the cluster.
            WorkingDirectory = layout.DataDir,
        };
        // The secret goes by variable, never on the command line, where any user of the machine could read it.
        start.Environment["RKV_PEER_SECRET"] = peerSecret;
        start.Environment.Remove("RKV_PEER_SECRET_FILE");
        start.ArgumentList.Add(server.ServerDll);
        foreach (var arg in layout.ServerArgs(cluster).Concat(serverFlags))
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Relay(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => Relay(e.Data, isError: true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new NodeProcess(layout, process);

        void Relay(string? line, bool isError)
        {
            if (line is not null)
            {
                console.NodeLine(index, layout.Id, line, isError);
            }
        }
    }

    /// <summary>SIGTERM: rkv-server drains in-flight requests and exits 0.</summary>
    public void Terminate()
    {
        if (!HasExited)
        {
            try
            {
                PosixSignals.Terminate(_process);
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the signal.
            }
        }
    }

    /// <summary>SIGKILL, for a node that did not stop in time.</summary>
    public void Kill()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill.
            }
        }
    }

    public void Dispose() => _process.Dispose();

    private static async Task<int> WaitAsync(Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }
}
