using System.Diagnostics;
using System.Globalization;
using ReplicatedKv.Testing.Processes;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// One rkv-server process, started (and restarted) on the same data directory in its node's network, its output
/// (JSON log lines) appended to one file across restarts. Signals go straight to the server: <c>ip netns exec</c>
/// and <c>sh -c 'exec ...'</c> both exec, so the process started here is the server itself.
/// </summary>
internal sealed class ChaosNode
{
    // Redirects in the shell so the log survives the harness, and exec so no shell stays in between.
    private const string LaunchScript = "exec \"$@\" </dev/null >>\"$RKV_CHAOS_LOG\" 2>&1";
    private readonly IReadOnlyList<string> _commandLine;
    private Process? _process;

    public ChaosNode(NodeAddress address, string folder, IReadOnlyList<string> launchPrefix, ServerBinary binary, IReadOnlyList<string> serverFlags)
    {
        Address = address;
        Folder = folder;
        DataDir = Path.Combine(folder, "data");
        TempDir = Path.Combine(folder, "tmp");
        LogPath = Path.Combine(folder, "node.log");
        _commandLine = [.. launchPrefix, "sh", "-c", LaunchScript, "sh", binary.DotnetHost, binary.ServerDll, .. serverFlags, "--data-dir", DataDir];
    }

    public NodeAddress Address { get; }

    public string Id => Address.Id;

    public string Folder { get; }

    public string DataDir { get; }

    /// <summary>The node's TMPDIR, inside its folder: the runtime's diagnostics socket (and anything else temporary) goes away with the run.</summary>
    public string TempDir { get; }

    public string LogPath { get; }

    public int Pid { get; private set; }

    public int Starts { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    public bool IsPaused { get; private set; }

    /// <summary>The harness killed it or armed it to crash: its exit is no finding.</summary>
    public bool ExitExpected { get; set; }

    /// <summary>Up and not frozen: should answer calls.</summary>
    public bool IsServing => IsRunning && !IsPaused;

    /// <summary>Starts the server; <paramref name="extraFlags"/> and <paramref name="environment"/> apply to this start only.</summary>
    public void Start(IReadOnlyList<string> extraFlags, IReadOnlyDictionary<string, string> environment, Action<int> recordPid)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Id} is already running (pid {Pid})");
        }

        Directory.CreateDirectory(DataDir);
        Directory.CreateDirectory(TempDir);
        Starts++;
        File.AppendAllText(LogPath, string.Create(CultureInfo.InvariantCulture,
            $"==== rkv-chaos: start {Starts} of {Id} at {DateTime.UtcNow:O} {string.Join(' ', extraFlags)}\n"));

        var start = new ProcessStartInfo(_commandLine[0]) { UseShellExecute = false, WorkingDirectory = Folder };
        foreach (var arg in _commandLine.Skip(1).Concat(extraFlags))
        {
            start.ArgumentList.Add(arg);
        }

        // Only the settings given here: a stray RKV_* variable in the harness's environment must not reconfigure nodes.
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(n => n.StartsWith("RKV_", StringComparison.Ordinal)))
        {
            start.Environment.Remove(name);
        }

        start.Environment["RKV_CHAOS_LOG"] = LogPath;

        // .NET puts a dotnet-diagnostic-{pid}-socket in TMPDIR and only removes it on a clean exit; nodes die by kill -9.
        start.Environment["TMPDIR"] = TempDir;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Id}");
        Pid = _process.Id;
        IsPaused = false;
        ExitExpected = false;
        recordPid(Pid);
    }

    /// <summary>SIGKILL (works on a paused process too), then waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process || process.HasExited)
        {
            IsPaused = false;
            return;
        }

        ExitExpected = true;
        PosixSignals.Send(Pid, PosixSignals.SigKill);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        IsPaused = false;
    }

    public void Pause()
    {
        if (IsServing && PosixSignals.Send(Pid, PosixSignals.SigStop))
        {
            IsPaused = true;
        }
    }

    public void Resume()
    {
        if (IsPaused)
        {
            PosixSignals.Send(Pid, PosixSignals.SigCont);
            IsPaused = false;
        }
    }

    /// <summary>True once the process has exited, false if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_process is not { } process)
        {
            return true;
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Last resort on the way out: no waiting, no exceptions.</summary>
    public void KillNow()
    {
        if (_process is { HasExited: false })
        {
            ExitExpected = true;
            PosixSignals.Send(Pid, PosixSignals.SigKill);
        }
    }
}
