using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using ReplicatedKv.Testing.Processes;

namespace ReplicatedKv.LocalCluster.Tests;

/// <summary>
/// rkv-local running as a real process (<c>dotnet rkv-local.dll ...</c>), its stdout and stderr captured line by line.
/// Disposing kills whatever is left of it and of the nodes it reported, so a failed test leaks no processes.
/// </summary>
internal sealed class LauncherProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _transcript = new();
    private readonly Lock _gate = new();
    private (Func<string, bool> Match, TaskCompletionSource Seen)? _waiter;

    private LauncherProcess(Process process) => _process = process;

    /// <summary>Node PIDs to kill if the test ends with them still running.</summary>
    public List<int> NodePids { get; } = [];

    public int ExitCode => _process.ExitCode;

    public int Pid => _process.Id;

    /// <summary>A line typed into the launcher's terminal.</summary>
    public async Task TypeAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public string Transcript
    {
        get
        {
            lock (_gate)
            {
                return _transcript.ToString();
            }
        }
    }

    public static LauncherProcess Start(params string[] args)
    {
        var dll = typeof(LauncherProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RkvLocalDll").Value!;
        // Started as a script's background job would start it, with SIGINT ignored: the launcher must still stop
        // on a SIGINT sent to the pid it prints. env execs dotnet, so the PID stays the launcher's.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--ignore-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var launcher = new LauncherProcess(new Process { StartInfo = start });
        launcher._process.OutputDataReceived += (_, e) => launcher.Add(e.Data);
        launcher._process.ErrorDataReceived += (_, e) => launcher.Add(e.Data);
        launcher._process.Start();
        launcher._process.BeginOutputReadLine();
        launcher._process.BeginErrorReadLine();
        return launcher;
    }

    /// <summary>True once a line matching <paramref name="match"/> was printed; false if none came in time.</summary>
    public async Task<bool> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (Lines().Any(match))
            {
                return true;
            }

            _waiter = (match, seen);
        }

        try
        {
            await seen.Task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public string[] Lines()
    {
        lock (_gate)
        {
            return _transcript.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>SIGINT, as Ctrl-C would send it, but to the launcher alone: stopping the nodes is its job.</summary>
    public void Interrupt()
    {
        if (!PosixSignals.Send(_process.Id, PosixSignals.SigInt))
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGINT) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        foreach (var pid in NodePids.Where(ServerProcesses.IsRunning))
        {
            try
            {
                using var node = Process.GetProcessById(pid);
                node.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Gone already.
            }
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _transcript.Append(line).Append('\n');
            if (_waiter is { } waiter && waiter.Match(line))
            {
                _waiter = null;
                waiter.Seen.TrySetResult();
            }
        }
    }
}
