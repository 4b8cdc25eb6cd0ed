using System.Runtime.InteropServices;

namespace ReplicatedKv.LocalCluster;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM: the first asks for a graceful stop of every node, a second for killing them now.
/// A second signal within a second of the first is the same request arriving twice (a terminal signals the
/// whole process group and <c>dotnet run</c> forwards what it receives), so only a later one kills.
/// Both are cancelled so the launcher itself never dies on them with its nodes still running. (Started in the
/// background by a script, the launcher inherits an ignored SIGINT and .NET keeps it ignored; scripts send SIGTERM.)
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _killNow = new();
    private readonly PosixSignalRegistration[] _registrations;
    private long _firstAt;

    public StopSignals()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    public CancellationToken StopRequested => _stop.Token;

    public CancellationToken KillRequested => _killNow.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
        _killNow.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var now = Environment.TickCount64;
        if (Interlocked.CompareExchange(ref _firstAt, now, 0) == 0)
        {
            _stop.Cancel();
        }
        else if (now - Interlocked.Read(ref _firstAt) > 1000)
        {
            _killNow.Cancel();
        }
    }
}
