namespace ReplicatedKv.Testing.Simulation;

/// <summary>What one liveness run measured, in ticks (10 ticks are one election timeout in the simulator).</summary>
/// <param name="Shape">The shape held.</param>
/// <param name="Seed">The seed that replays the run.</param>
/// <param name="FirstDecided">From the shape's start to the first probe command being decided.</param>
/// <param name="WorstDecided">The longest any probe proposed while the shape held waited to be decided.</param>
/// <param name="LeaderChanges">Leaders elected while the shape held.</param>
/// <param name="HealedDecided">After the heal, until every node's probe was decided.</param>
/// <param name="Lag">Slots the node that reaches a majority lagged the most advanced one when the shape started.</param>
internal sealed record LivenessResult(LivenessShape Shape, ulong Seed, long FirstDecided, long WorstDecided, int LeaderChanges, long HealedDecided, long Lag);
