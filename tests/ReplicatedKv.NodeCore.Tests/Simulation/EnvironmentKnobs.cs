namespace ReplicatedKv.NodeCore.Tests.Simulation;

/// <summary>Numbers the simulation tests read from the environment, so a longer run or a replay needs no code change.</summary>
internal static class EnvironmentKnobs
{
    public static int Int(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : fallback;
}
