using ReplicatedKv.Consensus;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>A node's in-memory disk as <see cref="TwinHost"/> uses it: where a Ready's writes go.</summary>
public interface IDiskTwin
{
    /// <summary>Writes the Ready's entries, then its hard state, as the twin models durability.</summary>
    void Persist(Ready ready);
}
