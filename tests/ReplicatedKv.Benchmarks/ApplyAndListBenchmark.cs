using System.Diagnostics;
using System.Globalization;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// What the sorted key index (kept beside the hash table for listing) costs point operations, and what listing
/// costs. Runs in one process, alternating state machines with and without the index round by round so that
/// machine noise hits both alike; reports the median round of each. The workloads:
/// <list type="bullet">
/// <item>set, new keys: every set creates a key (the index's worst case: each one is an insert);</item>
/// <item>set, overwrite: sets to existing keys (the index is not touched);</item>
/// <item>get: <c>TryGetEntry</c> of existing keys, as a read is served;</item>
/// <item>list: pages of 1,000 keys out of the whole table, from random places, from the start, and by prefix; the
/// first listing after the bulk load (it sorts every key) and listings that follow 100 or 1,000 new keys (they
/// merge them) are timed apart.</item>
/// </list>
/// Commands are encoded before timing, 100 to a slot; applying includes decoding them, as on a replica.
/// </summary>
internal static class ApplyAndListBenchmark
{
    private const int CommandsPerSlot = 100;
    private const int Rounds = 7;

    public static int Run(string[] args)
    {
        var keys = args.Length > 1 && args[0] == "--keys" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var names = Enumerable.Range(0, keys).Select(i => "user/" + Scramble(i).ToString("x8", CultureInfo.InvariantCulture)).ToArray();
        var value = new byte[100];
        var slots = names.Chunk(CommandsPerSlot).Select(chunk => chunk.Select(k => (ReadOnlyMemory<byte>)CommandCodec.Encode(KvCommand.Set(k, value))).ToArray()).ToArray();
        Console.WriteLine($"{keys:N0} keys, {value.Length}-byte values, {CommandsPerSlot} commands per slot, {Rounds} rounds each, median round:");

        var newKeys = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        var overwrites = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        var gets = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        KeyValueStateMachine? indexed = null;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var withIndex in new[] { round % 2 == 0, round % 2 != 0 })
            {
                var machine = withIndex ? new KeyValueStateMachine() : KeyValueStateMachine.WithoutSortedIndex();
                newKeys[withIndex].Add(PerSecond(keys, () => ApplyAll(machine, slots, firstSlot: 1)));
                overwrites[withIndex].Add(PerSecond(keys, () => ApplyAll(machine, slots, firstSlot: slots.Length + 1)));
                gets[withIndex].Add(PerSecond(keys, () => GetAll(machine, names)));
                if (withIndex)
                {
                    indexed = machine;
                }

                GC.Collect();
            }
        }

        Report("set, new keys", newKeys);
        Report("set, overwrite", overwrites);
        Report("get", gets);
        ListLatency(indexed!, names);
        return 0;
    }

    private static void ApplyAll(KeyValueStateMachine machine, ReadOnlyMemory<byte>[][] slots, long firstSlot)
    {
        for (var i = 0; i < slots.Length; i++)
        {
            machine.Apply(firstSlot + i, slots[i]);
        }
    }

    private static void GetAll(KeyValueStateMachine machine, string[] names)
    {
        var found = 0;
        for (var i = 0; i < names.Length; i++)
        {
            found += machine.TryGetEntry(names[(int)((i * 7919L) % names.Length)], out _) ? 1 : 0;
        }

        if (found != names.Length)
        {
            throw new InvalidOperationException($"{names.Length - found} keys missing");
        }
    }

    private static void ListLatency(KeyValueStateMachine machine, string[] names)
    {
        var first = Stopwatch.StartNew();
        machine.List(new ListQuery { Limit = 1000 });
        Console.WriteLine($"  first listing after the bulk load (sorts all keys): {first.Elapsed.TotalMilliseconds:F0} ms");
        var random = new Random(42);
        var sorted = names.Order(Comparer<string>.Create(Utf8KeyOrder.Compare)).ToArray();
        var cases = new (string Name, Func<ListQuery> Query)[]
        {
            ("list 1,000 from a random key", () => new ListQuery { Limit = 1000, After = sorted[random.Next(sorted.Length - 1000)] }),
            ("list 1,000 from the start", () => new ListQuery { Limit = 1000 }),
            ("list 1,000 by prefix", () => new ListQuery { Limit = 1000, Prefix = "user/" + random.Next(16).ToString("x", CultureInfo.InvariantCulture) }),
            ("list 1,000 keys only", () => new ListQuery { Limit = 1000, KeysOnly = true, After = sorted[random.Next(sorted.Length - 1000)] }),
            ("list after 100 new keys", () => AfterNewKeys(machine, 100, random, sorted)),
            ("list after 1,000 new keys", () => AfterNewKeys(machine, 1000, random, sorted)),
        };
        foreach (var (name, query) in cases)
        {
            var times = new List<double>();
            for (var i = 0; i < 300; i++)
            {
                var q = query();
                var clock = Stopwatch.StartNew();
                var page = machine.List(q);
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (page.Entries.Count != 1000)
                {
                    throw new InvalidOperationException($"{name}: {page.Entries.Count} entries");
                }
            }

            times.Sort();
            Console.WriteLine($"  {name,-30} median {times[times.Count / 2]:F3} ms, p99 {times[(int)(times.Count * 0.99)]:F3} ms, max {times[^1]:F3} ms (of {machine.Count:N0} keys)");
        }
    }

    /// <summary>Applies new keys (untimed) and returns a query for a random page, whose time then includes merging them.</summary>
    private static ListQuery AfterNewKeys(KeyValueStateMachine machine, int count, Random random, string[] sorted)
    {
        var value = new byte[100];
        var slot = new ReadOnlyMemory<byte>[count];
        for (var i = 0; i < count; i++)
        {
            slot[i] = CommandCodec.Encode(KvCommand.Set("new/" + Guid.NewGuid().ToString("n"), value));
        }

        machine.Apply(machine.AppliedSlot + 1, slot);
        return new ListQuery { Limit = 1000, After = sorted[random.Next(sorted.Length - 1000)] };
    }

    private static double PerSecond(int operations, Action run)
    {
        var clock = Stopwatch.StartNew();
        run();
        return operations / clock.Elapsed.TotalSeconds;
    }

    private static void Report(string name, Dictionary<bool, List<double>> perSecond)
    {
        var with = Median(perSecond[true]);
        var without = Median(perSecond[false]);
        Console.WriteLine($"  {name,-16} without index {without,12:N0}/s   with index {with,12:N0}/s   change {((with / without) - 1) * 100,6:+0.0;-0.0}%");
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Key numbers in a scattered order, so new keys land all over the index as real ones do.</summary>
    private static uint Scramble(int i) => unchecked((uint)i * 2654435761u);
}
