using ReplicatedKv.Storage;
using ReplicatedKv.Storage.CrashHarness;

// Appends numbered entries to the log in <directory> forever, each batch with a hard state naming its last
// slot. Some batches are synced at once, others only with a later sync (as the node loop appends a turn's
// batches, then syncs once); "durable N" is printed once every entry up to N is synced. Every 2,000 slots it
// compacts the log through 1,000 slots back and prints "compacting N" just before. The test kills this process
// with SIGKILL at arbitrary moments and checks what is left.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: ReplicatedKv.Storage.CrashHarness <wal-directory>");
    return 2;
}

using var log = WriteAheadLog.Open(new WalOptions { Directory = args[0], SegmentBytes = 32 * 1024 }, out var contents);
var next = contents.Entries.Count == 0 ? 1 : contents.Entries.Max(e => e.Slot) + 1;
var random = new Random((int)next);
while (true)
{
    var batch = new WalBatch();
    var count = random.Next(1, 9);
    for (var i = 0; i < count; i++, next++)
    {
        batch.AddEntry(CrashEntries.For(next));
    }

    batch.AddHardState(CrashEntries.HardStateAfter(next - 1));
    log.Append(batch);
    if (random.Next(3) != 0)
    {
        log.Sync();
        Console.WriteLine($"durable {next - 1}");
    }

    if (next / 2000 != (next - count) / 2000)
    {
        // Announced before it happens: a kill may land in between, and the test must know it could have.
        var through = next - 1000;
        Console.WriteLine($"compacting {through}");
        log.CompactThrough(through);
    }
}
