using System.Globalization;
using System.Text;
using ReplicatedKv.Chaos.Nemesis;
using ReplicatedKv.Testing.Checking;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>What a run did and what the checks found; <see cref="Passed"/> decides the exit code.</summary>
internal sealed class RunReport(RunOptions options, string artifactsPath)
{
    public RunOptions Options { get; } = options;

    public string ArtifactsPath { get; } = artifactsPath;

    public string Network { get; set; } = "not set up";

    /// <summary>What the run's namespaces are named after (rkvc{n}); tests check none is left behind.</summary>
    public string? RunPrefix { get; set; }

    public TimeSpan Duration { get; set; }

    public OperationStats Operations { get; set; } = new([]);

    public FaultCounts Faults { get; set; } = new();

    /// <summary>(a) the history of the run itself.</summary>
    public LinearizabilityResult? Linearizability { get; set; }

    /// <summary>(b) the same history plus one read of every key after every node was killed and restarted.</summary>
    public LinearizabilityResult? Durability { get; set; }

    /// <summary>(c) applied slot and table hash equal on every node after healing.</summary>
    public ConvergenceCheck.Result? Convergence { get; set; }

    public IReadOnlyList<string> UnexpectedExits { get; set; } = [];

    /// <summary>Per fault, the longest time without an acknowledged write (see <see cref="WriteGaps"/>).</summary>
    public IReadOnlyList<FaultGap> WriteGaps { get; set; } = [];

    /// <summary>The nodes' election timeout (tick interval × election ticks), to read the write stalls against.</summary>
    public TimeSpan ElectionTimeout { get; set; }

    /// <summary>Leader changes while the load scenario's workload ran (no fault injected); null if not measured.</summary>
    public long? LeaderChanges { get; set; }

    /// <summary>Each restart's time from process start to ready (kill and restart-all faults).</summary>
    public IReadOnlyList<RestartTime> RestartTimes { get; set; } = [];

    /// <summary>Anything that kept the run or a check from being made (each fails the run).</summary>
    public List<string> Problems { get; } = [];

    public bool Passed =>
        Problems.Count == 0 && UnexpectedExits.Count == 0 && !WriteGaps.Any(g => g.TooLong) &&
        Linearizability is { IsLinearizable: true } && Durability is { IsLinearizable: true } &&
        (Convergence is { Converged: true } || Options.Scenario.IsLostDisk());

    public string Summary()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"rkv-chaos {Options.Scenario.Name()} seed {Options.Seed}: {Options.Nodes} nodes on {Network}, {Options.Clients} clients, ");
        text.Append(CultureInfo.InvariantCulture, $"{Options.Seconds} s of {(Options.Scenario == ScenarioKind.Load ? "load, no faults" : "faults")} ({Duration.TotalSeconds:0} s in all). ");
        text.Append(CultureInfo.InvariantCulture, $"{Operations}. Faults injected: {Faults} ({Faults.Total} in all). ");
        text.Append(CultureInfo.InvariantCulture, $"Linearizable: {Verdict(Linearizability)}. ");
        text.Append(CultureInfo.InvariantCulture, $"Durable (history plus a read of every key after the final restart): {Verdict(Durability)}. ");
        text.Append(CultureInfo.InvariantCulture, $"Converged: {(Convergence is null ? "not checked" : (Convergence.Converged ? "yes, " : "NO, ") + Convergence.Detail)}.");
        var timeout = string.Create(CultureInfo.InvariantCulture, $"election timeout {ElectionTimeout.TotalMilliseconds:0} ms");
        if (Options.Scenario == ScenarioKind.Load)
        {
            text.Append(CultureInfo.InvariantCulture, $" Leader changes with no fault: {LeaderChanges?.ToString(CultureInfo.InvariantCulture) ?? "not measured"}.");
            text.Append(CultureInfo.InvariantCulture, $" Longest write stall: {(WriteGaps.Count > 0 ? WriteGaps[^1].Longest.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "not measured")} ({timeout}).");
        }
        else if (WriteGaps.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" Write stall per fault kind ({timeout}): {string.Join("; ", WriteStalls.ByKind(WriteGaps))}.");
            text.Append(CultureInfo.InvariantCulture, $" Longest write gap per fault: {string.Join("; ", WriteGaps)}.");
        }

        if (RestartTime.Describe(RestartTimes) is { } restarts)
        {
            text.Append(CultureInfo.InvariantCulture, $" {restarts}.");
        }

        foreach (var exit in UnexpectedExits)
        {
            text.Append(CultureInfo.InvariantCulture, $" Node crash: {exit}.");
        }

        foreach (var problem in Problems)
        {
            text.Append(CultureInfo.InvariantCulture, $" Problem: {problem}.");
        }

        text.Append(Passed ? " PASS" : " FAIL");
        return text.ToString();
    }

    /// <summary>Each violation's explanation, for the console and summary.txt.</summary>
    public string ViolationDetails()
    {
        var text = new StringBuilder();
        foreach (var (label, result) in new[] { ("linearizability", Linearizability), ("durability", Durability) })
        {
            foreach (var violation in result?.Violations.Take(5) ?? [])
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"--- {label} violation on key '{violation.Key}':");
                text.AppendLine(violation.Explanation);
            }
        }

        return text.ToString();
    }

    private static string Verdict(LinearizabilityResult? result) => result switch
    {
        null => "not checked",
        { Violations.Count: > 0 } => string.Create(CultureInfo.InvariantCulture,
            $"NO, {result.Violations.Count} violation(s) on {string.Join(", ", result.Violations.Select(v => v.Key).Distinct().Take(5))}"),
        { TimedOut: true } => string.Create(CultureInfo.InvariantCulture, $"INCONCLUSIVE, the checker ran out of time after {result.KeysChecked} keys"),
        _ => string.Create(CultureInfo.InvariantCulture, $"yes ({result.KeysChecked} keys, {result.OperationsChecked} operations)"),
    };
}
