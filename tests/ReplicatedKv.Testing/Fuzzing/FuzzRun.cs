using System.Diagnostics;

namespace ReplicatedKv.Testing.Fuzzing;

/// <summary>
/// Runs a fuzz target over consecutive seeds, each seed one mutated input. A normal test run takes the bounded
/// count the test names (a few seconds); <c>RKV_FUZZ_SECONDS=N</c> instead runs each target for N seconds of
/// seeds, and <c>RKV_FUZZ_SEED=S</c> replays the one seed S (with <c>RKV_FUZZ_FIRST_SEED</c> a long run can
/// start past the seeds already covered). A failing seed is reported with the line that replays it; an input
/// that does not finish within <see cref="HangLimit"/> fails as a hang.
/// </summary>
public static class FuzzRun
{
    public const string SecondsVariable = "RKV_FUZZ_SECONDS";
    public const string SeedVariable = "RKV_FUZZ_SEED";
    public const string FirstSeedVariable = "RKV_FUZZ_FIRST_SEED";

    /// <summary>Far beyond what any one input takes; only a decoder stuck in a loop or a wait gets near it.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="target"/> for each seed; returns how many seeds ran.</summary>
    public static int Seeds(string name, int count, Action<int> target) =>
        SeedsAsync(name, count, seed =>
        {
            target(seed);
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();

    /// <inheritdoc cref="Seeds"/>
    public static async Task<int> SeedsAsync(string name, int count, Func<int, Task> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), out var only))
        {
            await RunOneAsync(name, only, target).ConfigureAwait(false);
            return 1;
        }

        var first = int.TryParse(Environment.GetEnvironmentVariable(FirstSeedVariable), out var f) ? f : 0;
        var seconds = int.TryParse(Environment.GetEnvironmentVariable(SecondsVariable), out var s) ? s : 0;
        var clock = Stopwatch.StartNew();
        var ran = 0;
        for (var seed = first; seconds > 0 ? clock.Elapsed.TotalSeconds < seconds : seed < first + count; seed++)
        {
            await RunOneAsync(name, seed, target).ConfigureAwait(false);
            ran++;
        }

        return ran;
    }

    private static async Task RunOneAsync(string name, int seed, Func<int, Task> target)
    {
        // Run off the test's thread, so a decoder spinning synchronously still trips the hang limit.
        var run = Task.Run(() => target(seed));
        if (await Task.WhenAny(run, Task.Delay(HangLimit)).ConfigureAwait(false) != run)
        {
            throw new FuzzFailureException($"{name}: seed {seed} hung past {HangLimit.TotalSeconds} s; replay with {SeedVariable}={seed}");
        }

        try
        {
            await run.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not FuzzFailureException)
        {
            var where = e.StackTrace?.Split('\n', 2)[0].Trim();
            throw new FuzzFailureException($"{name}: seed {seed} failed ({e.GetType().Name}: {e.Message} {where}); replay with {SeedVariable}={seed}", e);
        }
    }
}

/// <summary>A fuzz target failed on a seed; the message names it and how to replay it.</summary>
public sealed class FuzzFailureException : Exception
{
    public FuzzFailureException()
    {
    }

    public FuzzFailureException(string message)
        : base(message)
    {
    }

    public FuzzFailureException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
