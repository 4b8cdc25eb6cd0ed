using System.Globalization;

namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>
/// One fault of a schedule, drawn from the seed before the run starts. What depends on the running cluster (who
/// leads) is resolved when the fault is injected, using <see cref="Pick"/> wherever a random choice is needed, so
/// the same seed makes the same choices given the same cluster state.
/// </summary>
/// <param name="Number">1-based position in the schedule.</param>
/// <param name="QuietBefore">Healthy time before the fault.</param>
/// <param name="Kind">What to do.</param>
/// <param name="AtLeader">Aim at the current leader (else at random nodes).</param>
/// <param name="Targets">How many nodes to kill or pause (at most a minority), or the minority's size.</param>
/// <param name="Shape">For a partition: its shape.</param>
/// <param name="Duration">How long the fault lasts (for a crash in fsync: how long the node stays down after it).</param>
/// <param name="FailpointAfter">For a crash in fsync: the log write, counted from arming, that crashes.</param>
/// <param name="Pick">Seed of the choices made at injection time.</param>
internal sealed record FaultPlan(
    int Number,
    TimeSpan QuietBefore,
    FaultKind Kind,
    bool AtLeader,
    int Targets,
    PartitionShape Shape,
    TimeSpan Duration,
    int FailpointAfter,
    int Pick)
{
    public override string ToString()
    {
        var what = Kind switch
        {
            FaultKind.Partition => $"partition {Shape}" + (Shape == PartitionShape.MajorityMinority ? $" minority {Targets}" : ""),
            FaultKind.FsyncCrash => $"fsync-crash after:{FailpointAfter}" + (AtLeader ? " at leader" : ""),
            FaultKind.RestartAll => "restart-all",
            _ => $"{Kind.ToString().ToLowerInvariant()} {Targets}" + (AtLeader ? " incl. leader" : ""),
        };
        return string.Create(CultureInfo.InvariantCulture, $"#{Number} after {QuietBefore.TotalSeconds:0.0}s quiet: {what} for {Duration.TotalSeconds:0.0}s (pick {Pick})");
    }
}
