using System.ComponentModel;
using System.Diagnostics;

namespace ReplicatedKv.LocalCluster;

/// <summary>
/// Starts one rkv-server per node, reports when all are ready, says when one dies, and on a stop signal stops
/// them all: SIGTERM, a grace period, then SIGKILL for stragglers.
/// </summary>
internal sealed partial class ClusterSupervisor(LauncherOptions options, ServerLocation server, ConsoleOutput console, StopSignals signals)
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(60);

    // rkv-server drains for up to its --shutdown-timeout (10 s by default); this leaves it room to finish.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    // Every process started, restarts included (all are killed if the launcher fails); _current holds each node's latest.
    private readonly List<NodeProcess> _nodes = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _allDiedOnTheirOwn = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NodeProcess[] _current = [];
    private IReadOnlyList<NodeLayout> _layout = [];

    // True when no node has any data yet: the launcher knows the cluster is brand new (see NewClusterFlags).
    private bool _brandNew;

    // A fresh secret per run authenticates the nodes' peer streams, so even a local cluster's peer ports refuse strangers.
    private readonly string _peerSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>0 after a requested stop, 1 if the nodes could not start or all of them died on their own.</summary>
    public async Task<int> RunAsync()
    {
        var root = Path.GetFullPath(options.DataDir);
        var layout = NodeLayout.Plan(options.Nodes, options.BasePort, root);
        try
        {
            if (!Prepare(root, layout) || !StartAll(layout))
            {
                return 1;
            }

            using var readinessStop = CancellationTokenSource.CreateLinkedTokenSource(signals.StopRequested);
            var readiness = ReportReadinessAsync(readinessStop.Token);
            _ = new NodeCommands(this, console).ReadAsync(Console.In, signals.StopRequested);
            await Task.WhenAny(_allDiedOnTheirOwn.Task, Task.Delay(Timeout.Infinite, signals.StopRequested)).ConfigureAwait(false);
            await readinessStop.CancelAsync().ConfigureAwait(false);
            await readiness.ConfigureAwait(false);

            if (!signals.StopRequested.IsCancellationRequested)
            {
                console.Warn("every node has exited; nothing left to run");
                return 1;
            }

            await StopAllAsync().ConfigureAwait(false);
            return 0;
        }
        finally
        {
            // Last resort (an unexpected exception above): never leave nodes running without their launcher.
            lock (_gate)
            {
                foreach (var node in _nodes)
                {
                    node.Kill();
                    node.Dispose();
                }
            }
        }
    }

    private bool Prepare(string root, IReadOnlyList<NodeLayout> layout)
    {
        try
        {
            if (options.Clean)
            {
                var deleted = DataFolder.Clean(root);
                console.Say(deleted.Count == 0 ? $"--clean: no node data under {root}" : $"--clean: deleted {string.Join(", ", deleted)}");
            }

            if (DataFolder.CheckSize(root, layout.Count) is { } mismatch)
            {
                console.Warn(mismatch);
                return false;
            }

            _brandNew = layout.All(node => !Directory.Exists(node.DataDir) || !Directory.EnumerateFileSystemEntries(node.DataDir).Any());
            foreach (var node in layout)
            {
                Directory.CreateDirectory(node.DataDir);
            }

            DataFolder.RecordSize(root, layout.Count);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            console.Warn($"cannot prepare data folder {root}: {ex.Message}");
            return false;
        }

        if (PortCheck.FindBusy(layout) is { } busy)
        {
            console.Warn($"{busy}; is another cluster running? Stop it, or choose other ports with --base-port");
            return false;
        }

        return true;
    }

    /// <summary>
    /// With every node folder empty this is a brand-new cluster, and the launcher says so, as an operator would
    /// (--initial-cluster-state new): otherwise each empty node would first probe the others and wait out the
    /// rejoin quarantine (3 x max-message-age, 30 s by default) in case it had lost its disk. Never when any node
    /// has data: an empty node among them may well have lost its disk, and must rejoin as a learner.
    /// A flag given after -- wins.
    /// </summary>
    private IReadOnlyList<string> NewClusterFlags() =>
        _brandNew && !options.ServerFlags.Any(f => f.StartsWith("--initial-cluster-state", StringComparison.Ordinal))
            ? ["--initial-cluster-state", "new"]
            : [];

    private bool StartAll(IReadOnlyList<NodeLayout> layout)
    {
        _layout = layout;
        _current = new NodeProcess[layout.Count];
        console.Say($"launcher pid {Environment.ProcessId}: Ctrl-C here, or kill -INT {Environment.ProcessId} from elsewhere, stops every node");
        console.Say($"starting {Count(layout.Count)}: {server.DotnetHost} {server.ServerDll} ...; data in {Path.GetDirectoryName(layout[0].DataDir)}");
        for (var i = 0; i < layout.Count; i++)
        {
            if (!TryStart(i, NewClusterFlags()))
            {
                return false;
            }
        }

        return true;
    }

    // Only the first start of a brand-new cluster passes NewClusterFlags: a node the user starts again later may have
    // lost its folder since, and must rejoin as a learner.
    // A joining node is given the configuration the cluster answered its addition with as its members; any other
    // start, the launcher's nodes.
    private bool TryStart(int index, IReadOnlyList<string>? extraFlags = null, IReadOnlyList<MemberAddress>? members = null)
    {
        NodeProcess node;
        try
        {
            node = NodeProcess.Start(index, _layout[index], members ?? [.. _layout.Select(n => n.Address)], server, [.. extraFlags ?? [], .. options.ServerFlags],
                _peerSecret, console);
        }
        catch (Win32Exception ex)
        {
            console.Warn($"cannot start {_layout[index].Id} with {server.DotnetHost}: {ex.Message}");
            return false;
        }

        lock (_gate)
        {
            _nodes.Add(node);
            _current[index] = node;
        }

        _ = WatchExitAsync(node);
        return true;
    }

    /// <summary>
    /// Says when a node exits while the cluster is meant to run: one the user stopped is reported as such, any other
    /// as having exited on its own. When every node has exited on its own, the launcher has nothing left to run.
    /// </summary>
    private async Task WatchExitAsync(NodeProcess node)
    {
        var code = await node.Exited.ConfigureAwait(false);
        if (signals.StopRequested.IsCancellationRequested)
        {
            return;
        }

        string[] running;
        bool allDied;
        lock (_gate)
        {
            // A slot is empty only while the first start is still under way.
            running = _current.Where(n => n is { HasExited: false }).Select(n => n.Layout.Id).ToArray();
            allDied = running.Length == 0 && _current.All(n => n is not null && !n.StoppedByUser);
        }

        var others = running.Length == 0 ? "no node is left running" : $"{string.Join(", ", running)} keep running";
        if (node.StoppedByUser)
        {
            console.Say($"{node.Layout.Id} (pid {node.Pid}) stopped as asked, exit {code}; {others}; 'start {node.Layout.Id}' starts it again");
        }
        else
        {
            console.Warn($"{node.Layout.Id} (pid {node.Pid}) exited on its own with code {code}; {others}");
        }

        if (allDied)
        {
            _allDiedOnTheirOwn.TrySetResult();
        }
    }

    /// <summary>Stops one node while the others run (SIGTERM, SIGKILL after the grace period; or SIGKILL at once).</summary>
    public async Task StopNodeAsync(string id, bool kill)
    {
        if (Find(id) is not { } index)
        {
            return;
        }

        var node = _current[index];
        if (node.HasExited)
        {
            console.Say($"{id} is not running; 'start {id}' starts it");
            return;
        }

        node.StoppedByUser = true;
        if (kill)
        {
            console.Say($"{id}: SIGKILL to pid {node.Pid}, as a crash would stop it");
            node.Kill();
            return;
        }

        console.Say($"{id}: SIGTERM to pid {node.Pid}");
        node.Terminate();
        try
        {
            await node.Exited.WaitAsync(StopGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            console.Say($"{id}: SIGKILL to pid {node.Pid}: still running {StopGrace.TotalSeconds:0} s after SIGTERM");
            node.Kill();
        }
    }

    /// <summary>Starts a node the user stopped (or that died), on its own data folder and ports.</summary>
    public void StartNode(string id)
    {
        if (Find(id) is not { } index)
        {
            return;
        }

        if (!_current[index].HasExited)
        {
            console.Say($"{id} is already running (pid {_current[index].Pid})");
            return;
        }

        if (TryStart(index))
        {
            console.Say($"{id} started again (pid {_current[index].Pid}); it catches up from the others");
        }
    }

    public string DescribeNodes()
    {
        lock (_gate)
        {
            return string.Join(", ", _current.Where(n => n is not null).Select(n => n.HasExited
                ? $"{n.Layout.Id} {(n.StoppedByUser ? "stopped" : "exited")} (exit {n.Exited.Result})"
                : $"{n.Layout.Id} running (pid {n.Pid})"));
        }
    }

    private int? Find(string id)
    {
        for (var i = 0; i < _layout.Count; i++)
        {
            if (string.Equals(_layout[i].Id, id, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        console.Warn($"no node '{id}'; the nodes are {string.Join(", ", _layout.Select(n => n.Id))}");
        return null;
    }

    private async Task ReportReadinessAsync(CancellationToken cancellationToken)
    {
        try
        {
            var clock = Stopwatch.StartNew();
            var started = _current.ToArray();
            var (ready, notReady) = await Readiness.WaitAsync(started, ReadyDeadline, cancellationToken).ConfigureAwait(false);
            if (ready)
            {
                var table = await ReadyTable.BuildAsync(started, clock.Elapsed, cancellationToken).ConfigureAwait(false);
                var examples = CliExamples.Build(_layout, CliExamples.FindRkvctl(server.ServerDll, server.DotnetHost, Environment.CurrentDirectory));

                // One block, ending with this line, so whoever waits for it (a person, a test) has the whole report.
                console.Block(table + examples + $"rkv-local: Ctrl-C stops all nodes (or kill -INT {Environment.ProcessId})." + Environment.NewLine);
            }
            else
            {
                console.Warn($"gave up waiting for every node to be ready after {ReadyDeadline.TotalSeconds:0} s ({notReady}); " +
                    "the nodes keep running, see their output above");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping (or every node died): the readiness report no longer matters.
        }
    }

    private async Task StopAllAsync()
    {
        NodeProcess[] current;
        lock (_gate)
        {
            current = [.. _current];
        }

        var running = current.Where(n => !n.HasExited).ToArray();
        console.Say($"stopping: SIGTERM to {Describe(running)}");
        foreach (var node in running)
        {
            node.Terminate();
        }

        var allExited = Task.WhenAll(current.Select(n => n.Exited));
        try
        {
            await allExited.WaitAsync(StopGrace, signals.KillRequested).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            var stragglers = current.Where(n => !n.HasExited).ToArray();
            console.Say(ex is TimeoutException
                ? $"SIGKILL to {Describe(stragglers)}: still running {StopGrace.TotalSeconds:0} s after SIGTERM"
                : $"second signal: SIGKILL to {Describe(stragglers)}");
            foreach (var node in stragglers)
            {
                node.Kill();
            }

            await allExited.ConfigureAwait(false);
        }

        console.Say("stopped: " + string.Join(", ", current.Select(n => $"{n.Layout.Id} exit {n.Exited.Result}")));
        var unclean = current.Where(n => n.Exited.Result != 0).Select(n => n.Layout.Id).ToArray();
        if (unclean.Length > 0)
        {
            // rkv-server exits 0 after a graceful drain; anything else is worth a look in its output above.
            console.Warn($"{string.Join(", ", unclean)} did not exit cleanly (code not 0); see the output above");
        }
    }

    private static string Count(int nodes) => nodes == 1 ? "1 node" : $"{nodes} nodes";

    private static string Describe(IEnumerable<NodeProcess> nodes) =>
        string.Join(", ", nodes.Select(n => $"{n.Layout.Id} (pid {n.Pid})"));
}
