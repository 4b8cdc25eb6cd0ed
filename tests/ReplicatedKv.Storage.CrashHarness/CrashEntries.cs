using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage.CrashHarness;

/// <summary>The entry the harness writes for a slot; the test recomputes it to check what it reads back.</summary>
public static class CrashEntries
{
    public static LogEntry For(long slot)
    {
        var value = new byte[(int)(slot % 300) + 1];
        for (var i = 0; i < value.Length; i++)
        {
            value[i] = (byte)(slot * 31 + i);
        }

        return new LogEntry(slot, new Ballot(slot / 100 + 1, 1), new SlotValue([value]));
    }

    /// <summary>The hard state written with the batch ending at <paramref name="slot"/>.</summary>
    public static HardState HardStateAfter(long slot) => new(new Ballot(slot + 1, 1), slot);
}
