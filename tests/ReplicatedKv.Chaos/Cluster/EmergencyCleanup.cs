namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// While registered, a harness process that exits without unwinding (an unhandled exception elsewhere, SIGTERM, the
/// test host shutting down) still kills its nodes and removes its namespaces. SIGKILL of the harness is left to the
/// next run's <see cref="RunSlot"/> cleanup.
/// </summary>
internal sealed class EmergencyCleanup : IDisposable
{
    private readonly EventHandler _handler;

    private EmergencyCleanup(ChaosCluster cluster)
    {
        _handler = (_, _) =>
        {
            cluster.KillAllNow();
            NamespaceNetwork.RemoveAllAsync(cluster.Network.Slot.Prefix).GetAwaiter().GetResult();
        };
        AppDomain.CurrentDomain.ProcessExit += _handler;
    }

    public static EmergencyCleanup Register(ChaosCluster cluster) => new(cluster);

    public void Dispose() => AppDomain.CurrentDomain.ProcessExit -= _handler;
}
