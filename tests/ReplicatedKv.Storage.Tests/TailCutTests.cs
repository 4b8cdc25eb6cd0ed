using ReplicatedKv.Testing.Files;
using static ReplicatedKv.Storage.Tests.LostLogKit;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// The newest segment cut short at every byte: below the durable mark it is lost state (named by file and
/// offset, the intact prefix kept, the node rejoining); past the mark it is a torn tail, cut off as before.
/// </summary>
public sealed class TailCutTests
{
    private const int Entries = 8;

    // The mark sits after this many entries: the last batches' marks were not yet written back at the power cut.
    private const int DurableEntries = 5;

    public static TheoryData<int> CutLengths()
    {
        var data = new TheoryData<int>();
        var (_, ends) = WriteLog();
        for (var cut = 0; cut < ends[^1]; cut++)
        {
            data.Add(cut);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CutLengths))]
    public void A_newest_segment_cut_at_any_byte_is_lost_state_below_the_mark_and_a_torn_tail_past_it(int cut)
    {
        var (files, ends) = WriteLog();
        var path = files.List(Wal, ".wal").Single();
        var mark = ends[DurableEntries];
        WalTestKit.SetDurableMark(Wal, segment: 1, length: mark, files);
        Cut(files, path, cut);
        var intactEnd = ends.Where(end => end <= cut).DefaultIfEmpty(WalSegmentHeader.Size).Max();
        var entriesLeft = ends.Skip(1).Count(end => end <= cut);

        using (Open(files, LostStatePolicy.Rejoin, out var contents, segmentBytes: 1 << 20))
        {
            contents.Slots().Should().Equal(Range(1, entriesLeft), $"cut at byte {cut}");
            if (cut >= mark)
            {
                contents.Loss.Should().BeNull($"cut at byte {cut} is past the mark at {mark}: a torn tail");
                contents.TruncatedBytes.Should().Be(cut - intactEnd);
                contents.HardState.Rejoining.Should().BeFalse();
            }
            else
            {
                contents.Loss!.Path.Should().Be(path);
                contents.Loss.Offset.Should().Be(cut < WalSegmentHeader.Size ? 0 : intactEnd, $"cut at byte {cut}");
                contents.HardState.Rejoining.Should().BeTrue();
            }
        }

        using (Open(files, LostStatePolicy.Refuse, out var reopened, segmentBytes: 1 << 20))
        {
            reopened.Loss.Should().BeNull("what recovery kept is a consistent log");
            reopened.Slots().Should().Equal(Range(1, entriesLeft));
        }
    }

    /// <summary>One segment: its opening hard state, then <see cref="Entries"/> entries; the end offset of each (the opening record first).</summary>
    private static (InMemoryFiles Files, List<long> Ends) WriteLog()
    {
        var files = new InMemoryFiles();
        var ends = new List<long>();
        using var log = Open(files, LostStatePolicy.Refuse, out _, segmentBytes: 1 << 20);
        ends.Add(files.ReadAll(files.List(Wal, ".wal").Single()).Length);
        for (var slot = 1; slot <= Entries; slot++)
        {
            log.CommitEntry(slot, size: slot * 3);
            ends.Add(files.ReadAll(files.List(Wal, ".wal").Single()).Length);
        }

        return (files, ends);
    }
}
