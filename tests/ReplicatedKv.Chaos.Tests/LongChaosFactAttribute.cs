namespace ReplicatedKv.Chaos.Tests;

/// <summary>A chaos run too long for every CI build (5 nodes, or minutes of load): skipped (saying how to run it) unless CHAOS_LONG=1.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LongChaosFactAttribute : FactAttribute
{
    public LongChaosFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CHAOS_LONG") != "1")
        {
            Skip = "a long chaos run; set CHAOS_LONG=1 to run it";
        }
    }
}
