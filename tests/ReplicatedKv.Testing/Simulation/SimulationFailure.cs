namespace ReplicatedKv.Testing.Simulation;

/// <summary>A safety or liveness violation found by the simulator; the message names the check and the seed.</summary>
internal sealed class SimulationFailure(string check, string message) : Exception(message)
{
    /// <summary>agreement, order, validity, linearizable read, non-voter silence, transport, invariant or liveness.</summary>
    public string Check { get; } = check;
}
