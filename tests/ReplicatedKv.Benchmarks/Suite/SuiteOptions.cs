using System.Globalization;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// What one <c>suite</c> run measures. Defaults are the matrix; <c>--quick</c> shrinks it to a smoke run
/// that proves every part works (its figures mean nothing).
/// </summary>
internal sealed record SuiteOptions
{
    public IReadOnlyList<int> Nodes { get; init; } = [3, 5];

    public IReadOnlyList<int> Clients { get; init; } = [1, 16, 64, 256, 1000];

    public IReadOnlyList<Workload> Workloads { get; init; } = [Workload.Set, Workload.Get, Workload.SerializableGet, Workload.Mixed];

    /// <summary>Which systems to measure: replicatedkv, ceiling, etcd (etcd is skipped with a note when not installed).</summary>
    public IReadOnlyList<string> Targets { get; init; } = ["ceiling", "replicatedkv", "etcd"];

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Load before each row's measured window, not recorded (JIT, connection set-up, leader caches).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Distinct keys the load picks from; all are written before the first read row.</summary>
    public int KeySpace { get; init; } = 10_000;

    public int ValueBytes { get; init; } = 256;

    public bool Quick { get; init; }

    public static string Usage =>
        "usage: suite [--nodes 3,5] [--seconds N] [--warmup N] [--clients 1,16,64,256,1000] [--workloads set,get,sget,mixed] " +
        "[--targets ceiling,replicatedkv,etcd] [--keyspace 10000] [--quick]";

    /// <summary>Null with a one-line <paramref name="problem"/> for bad input.</summary>
    public static SuiteOptions? Parse(IReadOnlyList<string> args, out string problem)
    {
        problem = "";
        var options = new SuiteOptions();
        if (args.Contains("--quick"))
        {
            // A smoke run: every target and workload, two client counts, seconds per row.
            options = options with { Quick = true, Clients = [1, 16], Duration = TimeSpan.FromSeconds(2), WarmUp = TimeSpan.FromSeconds(0.5), KeySpace = 1_000 };
        }

        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--quick")
            {
                continue;
            }

            if (i + 1 >= args.Count)
            {
                problem = $"{args[i]} needs a value";
                return null;
            }

            var value = args[++i];
            try
            {
                options = args[i - 1] switch
                {
                    "--nodes" => options with { Nodes = Ints(value, 1, 9) },
                    "--clients" => options with { Clients = Ints(value, 1, 100_000) },
                    "--seconds" => options with { Duration = TimeSpan.FromSeconds(Seconds(value)) },
                    "--warmup" => options with { WarmUp = TimeSpan.FromSeconds(Seconds(value)) },
                    "--keyspace" => options with { KeySpace = Ints(value, 1, 10_000_000).Single() },
                    "--workloads" => options with { Workloads = value.Split(',').Select(WorkloadNames.Parse).ToArray() },
                    "--targets" => options with { Targets = value.Split(',').Select(Target).ToArray() },
                    _ => throw new FormatException($"unknown option {args[i - 1]}"),
                };
            }
            catch (FormatException ex)
            {
                problem = $"{args[i - 1]} {value}: {ex.Message}";
                return null;
            }
        }

        return options;
    }

    /// <summary>Connections a row opens: one per 16 clients (at least one), one per 10 from 1,000 clients up.</summary>
    public static int ConnectionsFor(int clients) => clients >= 1000 ? clients / 10 : Math.Max(1, clients / 16);

    private static int[] Ints(string text, int min, int max)
    {
        var values = text.Split(',').Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"expected whole numbers from {min} to {max}, comma-separated")).ToArray();
        return values.Length > 0 ? values : throw new FormatException("no value given");
    }

    private static double Seconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 3600
            ? s
            : throw new FormatException("expected seconds, more than 0 and at most 3600");

    private static string Target(string name) => name is "ceiling" or "replicatedkv" or "etcd"
        ? name
        : throw new FormatException($"unknown target '{name}' (ceiling, replicatedkv, etcd)");
}
