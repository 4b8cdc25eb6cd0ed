using ReplicatedKv.Chaos.Scenarios;
using ReplicatedKv.Testing.Checking;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos;

/// <summary>rkv-chaos run ... | rkv-chaos check HISTORY.jsonl. Exit codes: 0 pass, 1 a check failed, 2 usage.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["run", .. var rest]:
                var options = RunOptions.Parse(rest, out var error);
                return options is null ? Usage(error) : await RunAsync(options).ConfigureAwait(false);
            case ["check", var path]:
                return Check(path);
            case ["--help" or "-h" or "help"]:
                await Console.Out.WriteLineAsync(RunOptions.Usage).ConfigureAwait(false);
                return 0;
            default:
                return Usage(args.Length == 0 ? "no command" : $"unknown command '{string.Join(' ', args)}'");
        }
    }

    private static async Task<int> RunAsync(RunOptions options)
    {
        // The first Ctrl+C stops the run and cleans up (nodes, namespaces); a second one is not caught.
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (!cancel.IsCancellationRequested)
            {
                e.Cancel = true;
                cancel.Cancel();
            }
        };
        var report = await ScenarioRunner.RunAsync(options, Console.Out, cancel.Token).ConfigureAwait(false);
        return report.Passed ? 0 : 1;
    }

    private static int Check(string path)
    {
        IReadOnlyList<Operation> history;
        try
        {
            history = HistoryFile.Read(path);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"rkv-chaos: {ex.Message}");
            return 2;
        }

        var result = LinearizabilityChecker.Check(history);
        foreach (var violation in result.Violations)
        {
            Console.Out.WriteLine($"--- key '{violation.Key}':");
            Console.Out.WriteLine(violation.Explanation);
        }

        var verdict = result.IsLinearizable ? "linearizable" : result.Violations.Count > 0 ? $"NOT linearizable ({result.Violations.Count} violations)" : "inconclusive";
        Console.Out.WriteLine($"{history.Count} operations, {result.KeysChecked} keys checked: {verdict}");
        return result.IsLinearizable ? 0 : 1;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"rkv-chaos: {problem}");
        Console.Error.WriteLine(RunOptions.Usage);
        return 2;
    }
}
