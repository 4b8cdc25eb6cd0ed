using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Files;
using ReplicatedKv.Testing.Fuzzing;

namespace ReplicatedKv.Storage.Tests.Fuzzing;

/// <summary>
/// Mutated write-ahead logs (segments and the durable mark, on <see cref="InMemoryFiles"/>) either open with a
/// prefix of what was written, every record one the writer wrote, or are refused with <see cref="WalCorruptionException"/>;
/// never another exception, a hang or an invented record. Bounded here; <c>RKV_FUZZ_SECONDS</c> runs longer.
/// </summary>
public sealed class WalFuzzTests
{
    private const string Wal = "/data/wal";

    [Fact]
    public void Mutated_logs_open_with_a_prefix_of_the_written_records_or_are_refused_as_corrupt()
    {
        var valid = ValidWal.Write();
        var outcomes = new Dictionary<string, int>();
        FuzzRun.Seeds("wal", 1500, seed => Record(outcomes, OpenMutated(valid, seed, fixChecksums: false)));

        // Shows the run reached both outcomes, so it tests something either way.
        outcomes.Keys.Should().Contain(["opened", "refused"]);
    }

    [Fact]
    public void Mutated_records_under_correct_checksums_decode_or_are_refused_as_corrupt()
    {
        // Checksums recomputed after mutating, so the record decoders see the damage a CRC would otherwise hide:
        // what a buggy or newer writer could leave. Opening such a log must still end in a log or a clear refusal.
        var valid = ValidWal.Write();
        var outcomes = new Dictionary<string, int>();
        FuzzRun.Seeds("wal-checksummed", 3000, seed => Record(outcomes, OpenMutated(valid, seed, fixChecksums: true)));
        outcomes.Keys.Should().Contain(["opened", "refused"]);
    }

    private static void Record(Dictionary<string, int> outcomes, string outcome)
    {
        lock (outcomes)
        {
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
    }

    /// <summary>Opens the valid log with one file mutated; returns "opened" or "refused", and fails on anything else.</summary>
    private static string OpenMutated(ValidWal valid, int seed, bool fixChecksums)
    {
        var mutator = new ByteMutator(seed);
        var files = valid.Copy();
        var paths = valid.Files.Keys.Order(StringComparer.Ordinal).ToArray();
        var target = paths[mutator.Random.Next(paths.Length)];
        var original = valid.Files[target];
        var mutated = mutator.Mutate(original, valid.Files.Values.ToList());
        if (fixChecksums)
        {
            WalChecksums.Refresh(mutated);
        }

        files.Put(target, mutated);
        var policy = seed % 2 == 0 ? LostStatePolicy.Refuse : LostStatePolicy.Rejoin;
        var options = new WalOptions { Directory = Wal, Files = files, SegmentBytes = ValidWal.SegmentBytes, LostState = policy };
        WalContents contents;
        try
        {
            using var log = WriteAheadLog.Open(options, out contents);

            // An opened log must go on working: a new record is appended, synced and read back.
            log.CommitEntry(ValidWal.Slots + 1);
        }
        catch (WalCorruptionException)
        {
            return "refused";
        }

        using (WriteAheadLog.Open(options with { LostState = LostStatePolicy.Refuse }, out var reopened))
        {
            reopened.Entries[^1].Slot.Should().Be(ValidWal.Slots + 1, "the record appended after recovery is durable");
        }

        if (!fixChecksums)
        {
            valid.ShouldBeAPrefixOfTheWritten(contents, target, FirstDifference(original, mutated));
        }

        return "opened";
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }

    /// <summary>Recomputes each frame's CRC, walking frames as the reader would, so only the payloads' damage remains.</summary>
    private static class WalChecksums
    {
        public static void Refresh(byte[] segment)
        {
            var offset = WalSegmentHeader.HasMagic(segment) ? WalSegmentHeader.Size : 0;
            while (offset + WalFormat.HeaderSize <= segment.Length)
            {
                var length = BitConverter.ToInt32(segment, offset);
                if (length < 0 || length > segment.Length - offset - WalFormat.HeaderSize)
                {
                    return;
                }

                var frame = segment.AsSpan(offset, WalFormat.HeaderSize + length);
                BitConverter.TryWriteBytes(frame[4..], WalFormat.FrameCrc(frame));
                offset += frame.Length;
            }
        }
    }

    /// <summary>A small clean log of several segments: hard states, entries of every shape, a snapshot marker.</summary>
    private sealed class ValidWal
    {
        public const long SegmentBytes = 512;
        public const int Slots = 24;

        public required Dictionary<string, byte[]> Files { get; init; }

        public required List<LogEntry> Entries { get; init; }

        /// <summary>Each segment's records' entries, in order, with the offset where each record ends.</summary>
        public required Dictionary<string, List<(LogEntry Entry, long End)>> Layout { get; init; }

        public static ValidWal Write()
        {
            var files = new InMemoryFiles();
            var entries = new List<LogEntry>();
            var options = new WalOptions { Directory = Wal, Files = files, SegmentBytes = SegmentBytes };
            using (var log = WriteAheadLog.Open(options, out _))
            {
                for (var slot = 1; slot <= Slots; slot++)
                {
                    var batch = new WalBatch();
                    var entry = Shape(slot);
                    batch.AddEntry(entry);
                    entries.Add(entry);
                    if (slot % 5 == 0)
                    {
                        // From slot 10 on with an incarnation id and a record, so the mutated logs hold those bytes too.
                        var table = slot < 10 ? null : IncarnationTable.From([new IncarnationRecord(1, IncarnationStamp.Fence(new Ballot(slot, 2), slot), 77)]);
                        batch.AddHardState(new HardState(new Ballot(slot, 2), slot - 2, Incarnation: slot < 10 ? 0UL : 0xABCDUL), table);
                    }

                    if (slot == 12)
                    {
                        batch.AddSnapshotMarker(8);
                    }

                    log.Commit(batch);
                }
            }

            var all = files.List(Wal, "").ToDictionary(p => p, files.ReadAll);
            all.Keys.Count(p => p.EndsWith(".wal", StringComparison.Ordinal)).Should().BeGreaterThan(2, "the fuzzed log spans several segments");
            return new ValidWal { Files = all, Entries = entries, Layout = LayoutOf(all) };
        }

        public InMemoryFiles Copy()
        {
            var files = new InMemoryFiles();
            files.CreateDirectory(Wal);
            foreach (var (path, bytes) in Files)
            {
                files.Put(path, bytes);
            }

            return files;
        }

        /// <summary>
        /// Every recovered entry is one the writer wrote, and every record before the damage (all of the segments
        /// before the mutated one, and the mutated one's records ending before the first changed byte) is there.
        /// </summary>
        public void ShouldBeAPrefixOfTheWritten(WalContents contents, string mutatedPath, int firstChanged)
        {
            foreach (var entry in contents.Entries)
            {
                var written = Entries.SingleOrDefault(e => e.Slot == entry.Slot);
                written.Should().NotBeNull($"slot {entry.Slot} was never written (an invented record)");
                entry.ShouldMatch(written!);
            }

            if (!mutatedPath.EndsWith(".wal", StringComparison.Ordinal))
            {
                return;
            }

            var expected = Layout.Where(s => string.CompareOrdinal(s.Key, mutatedPath) < 0).SelectMany(s => s.Value)
                .Concat(Layout[mutatedPath].Where(r => r.End <= firstChanged)).Select(r => r.Entry.Slot);
            expected.Except(contents.Entries.Select(e => e.Slot)).Should().BeEmpty("records before the damage are intact and must be recovered");
        }

        private static LogEntry Shape(int slot) => (slot % 4) switch
        {
            0 => new LogEntry(slot, new Ballot(slot, 1), SlotValue.NoOp),
            1 => WalTestKit.Entry(slot, size: slot * 2),
            2 => new LogEntry(slot, new Ballot(slot, 3), new SlotValue([new byte[] { 0x80, 0xFF }, Array.Empty<byte>(), new byte[] { (byte)slot }])),
            _ => new LogEntry(slot, new Ballot(long.MaxValue - slot, int.MaxValue), new SlotValue([new byte[40]])),
        };

        private static Dictionary<string, List<(LogEntry, long)>> LayoutOf(Dictionary<string, byte[]> files)
        {
            var layout = new Dictionary<string, List<(LogEntry, long)>>();
            foreach (var (path, bytes) in files.Where(f => f.Key.EndsWith(".wal", StringComparison.Ordinal)))
            {
                var records = new List<(LogEntry, long)>();
                var offset = WalSegmentHeader.Size;
                while (WalFormat.TryReadFrame(bytes.AsSpan(offset), out var type, out var payload) is var size and > 0)
                {
                    offset += size;
                    if (type == WalRecordType.Entry)
                    {
                        records.Add((WalFormat.ReadEntry(payload), offset));
                    }
                }

                offset.Should().Be(bytes.Length, "the clean segment is all whole records");
                layout[path] = records;
            }

            return layout;
        }
    }
}
