namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>Draws a run's faults from its seed: alternating quiet and fault intervals of 3 to 8 seconds each.</summary>
internal static class NemesisSchedule
{
    /// <summary>
    /// Faults of the given kinds (picked at random per fault when there are several) filling <paramref name="duration"/>.
    /// Partition shapes take turns from a random start, so four partitions (six with 5 nodes or more) cover every shape. A run too short for
    /// one whole quiet and fault interval gets one shrunk to fit.
    /// </summary>
    public static IReadOnlyList<FaultPlan> Plan(IReadOnlyList<FaultKind> kinds, int seed, int nodes, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var random = new Random(seed);
        var shapes = PartitionShapes.For(nodes);
        var minority = (nodes - 1) / 2;
        var firstShape = random.Next(shapes.Count);
        var plans = new List<FaultPlan>();
        var elapsed = TimeSpan.Zero;
        while (true)
        {
            var quiet = Seconds(random, 3, 8);
            var kind = kinds[random.Next(kinds.Count)];
            var fault = Seconds(random, 3, 8);
            var plan = new FaultPlan(
                Number: plans.Count + 1,
                QuietBefore: quiet,
                Kind: kind,
                // Killing every node kills the leader too.
                AtLeader: random.Next(2) == 0 || kind == FaultKind.RestartAll,
                Targets: random.Next(1, minority + 1),
                Shape: shapes[(firstShape + plans.Count(p => p.Kind == FaultKind.Partition)) % shapes.Count],

                // A crash in fsync ends by itself; what is left to choose is how long the node stays down. A whole
                // cluster stays down briefly: what the fault measures is the restart, not the outage.
                Duration: kind switch
                {
                    FaultKind.FsyncCrash => fault / 4,
                    FaultKind.RestartAll => fault / 8,
                    _ => fault,
                },
                FailpointAfter: random.Next(1, 30),
                Pick: random.Next());

            // A fault must end (and heal) within the run.
            if (elapsed + quiet + plan.Duration > duration)
            {
                if (plans.Count == 0)
                {
                    var scale = duration / (quiet + plan.Duration);
                    plans.Add(plan with { QuietBefore = quiet * scale, Duration = plan.Duration * scale });
                }

                return plans;
            }

            plans.Add(plan);
            elapsed += quiet + plan.Duration;
        }
    }

    private static TimeSpan Seconds(Random random, double min, double max) => TimeSpan.FromSeconds(min + (random.NextDouble() * (max - min)));
}
