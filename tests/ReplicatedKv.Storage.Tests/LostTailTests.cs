using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Files;
using static ReplicatedKv.Storage.Tests.LostLogKit;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// A log that lost records it had made durable (an empty, missing or shortened segment) is never read as a
/// shorter, healthy log: it is refused naming the file and offset, or kept up to the damage and marked Rejoining.
/// </summary>
public sealed class LostTailTests
{
    private readonly InMemoryFiles _files = new();

    [Fact]
    public void A_zero_length_newest_segment_is_refused_naming_it_and_left_untouched()
    {
        var paths = WriteSegments(_files);
        Cut(_files, paths[^1], 0);
        var before = paths.Select(_files.ReadAll).ToArray();

        var open = () => Open(_files, LostStatePolicy.Refuse, out _);

        open.Should().Throw<WalCorruptionException>().Which.Message.Should().StartWith($"{paths[^1]}: empty segment").And.Contain("at offset 0");
        paths.Select(_files.ReadAll).Should().BeEquivalentTo(before, o => o.WithStrictOrdering(), "a refused log is left for the operator");
    }

    [Fact]
    public void A_zero_length_newest_segment_rejoins_keeping_the_older_segments_and_sets_the_newest_aside()
    {
        var paths = WriteSegments(_files);
        var kept = paths.Take(paths.Count - 1).SelectMany(p => SlotsIn(_files, p)).ToArray();
        Cut(_files, paths[^1], 0);

        using (Open(_files, LostStatePolicy.Rejoin, out var contents))
        {
            contents.Loss!.Path.Should().Be(paths[^1]);
            contents.Loss.Offset.Should().Be(0);
            contents.Slots().Should().Equal(kept);
            contents.HardState.Rejoining.Should().BeTrue("a node that lost promises must not vote until fenced");
        }

        _files.List(Wal, ".lost").Should().ContainSingle().Which.Should().StartWith(paths[^1]);
        using (Open(_files, LostStatePolicy.Refuse, out var reopened))
        {
            reopened.Loss.Should().BeNull("the repaired log is a consistent older state");
            reopened.HardState.Rejoining.Should().BeTrue();
            reopened.Slots().Should().Equal(kept);
        }
    }

    [Fact]
    public void A_zero_length_older_segment_is_lost_state_keeping_only_the_segments_before_it()
    {
        var paths = WriteSegments(_files);
        paths.Count.Should().BeGreaterThan(3);
        var kept = SlotsIn(_files, paths[0]);
        Cut(_files, paths[1], 0);

        var refuse = () => Open(_files, LostStatePolicy.Refuse, out _);
        refuse.Should().Throw<WalCorruptionException>().Which.Message.Should().StartWith($"{paths[1]}: empty segment").And.Contain("at offset 0");

        using var log = Open(_files, LostStatePolicy.Rejoin, out var contents);
        contents.Loss!.Path.Should().Be(paths[1]);
        contents.Slots().Should().Equal(kept, "entries after the hole would leave the replica a log with a gap");
        contents.HardState.Rejoining.Should().BeTrue();
    }

    [Fact]
    public void A_missing_middle_segment_is_lost_state_naming_the_missing_file()
    {
        var paths = WriteSegments(_files);
        _files.Delete(paths[2]);

        using var log = Open(_files, LostStatePolicy.Rejoin, out var contents);

        contents.Loss!.Path.Should().Be(paths[2]);
        contents.Loss.Offset.Should().Be(0);
        contents.Slots().Should().Equal(SlotsIn(_files, paths[0]).Concat(SlotsIn(_files, paths[1])));
    }

    [Fact]
    public void A_missing_newest_segment_is_lost_state_because_the_durable_mark_names_it()
    {
        var paths = WriteSegments(_files);
        _files.Delete(paths[^1]);

        var open = () => Open(_files, LostStatePolicy.Refuse, out _);

        open.Should().Throw<WalCorruptionException>().Which.Message.Should().StartWith($"{paths[^1]}: segment missing");
    }

    [Fact]
    public void An_older_segment_cut_at_a_record_boundary_no_longer_meets_the_next_one()
    {
        var paths = WriteSegments(_files);
        var bytes = _files.ReadAll(paths[1]);
        var lastRecord = WalFormat.EntryFrameSize(WalTestKit.Entry(1, size: 60));
        Cut(_files, paths[1], bytes.Length - lastRecord);

        using var log = Open(_files, LostStatePolicy.Rejoin, out var contents);

        contents.Loss!.Path.Should().Be(paths[1]);
        contents.Loss.Offset.Should().Be(bytes.Length - lastRecord);
        contents.Loss.Reason.Should().Contain("the next one starts at record");
    }

    [Fact]
    public void A_segment_copied_from_another_node_is_lost_state_naming_it()
    {
        var paths = WriteSegments(_files);
        var other = WriteSegments(_files, directory: "/twin/other", identity: WalIdentity.Of("cluster", "b"));
        _files.Put(paths[2], _files.ReadAll(other[2]));

        using var log = Open(_files, LostStatePolicy.Rejoin, out var contents);

        contents.Loss!.Path.Should().Be(paths[2]);
        contents.Loss.Offset.Should().Be(0);
        contents.Loss.Reason.Should().Contain("another node");
    }

    [Fact]
    public void A_data_directory_of_another_node_is_refused_and_never_repaired()
    {
        var paths = WriteSegments(_files, identity: WalIdentity.Of("cluster", "b"));

        var open = () => Open(_files, LostStatePolicy.Rejoin, out _);

        open.Should().Throw<WalCorruptionException>().Which.Message.Should().StartWith($"{paths[0]}: segment at offset 0 was written by another node");
        _files.List(Wal, ".lost").Should().BeEmpty();
    }

    [Fact]
    public void A_crash_before_the_rejoining_flag_is_durable_reports_the_loss_again()
    {
        var paths = WriteSegments(_files);
        Cut(_files, paths[^1], 0);
        _files.Fault = (operation, path) => operation == FileOperation.DataSync && path.EndsWith(".wal", StringComparison.Ordinal)
            ? InMemoryFiles.IoError(path)
            : null;

        var open = () => Open(_files, LostStatePolicy.Rejoin, out _);
        open.Should().Throw<StorageUnavailableException>();
        _files.Fault = null;
        _files.Crash();

        using var log = Open(_files, LostStatePolicy.Rejoin, out var contents);
        contents.Loss.Should().NotBeNull("the mark still names the lost segment");
        contents.HardState.Rejoining.Should().BeTrue();
    }

    [Fact]
    public async Task A_node_storage_that_lost_its_tail_restarts_a_replica_that_does_not_vote()
    {
        using var dir = new TempDirectory();
        var options = new StorageOptions { DataDirectory = dir.Path, SegmentBytes = 200, LostState = LostStatePolicy.Rejoin };
        await using (var storage = NodeStorage.Open(options))
        {
            for (var slot = 1; slot <= 12; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 60));
                batch.AddHardState(new HardState(new Ballot(3, 1), slot));
                storage.Log.Commit(batch);
            }
        }

        var newest = Directory.GetFiles(Path.Combine(dir.Path, "wal"), "*.wal").Order(StringComparer.Ordinal).Last();
        await File.WriteAllBytesAsync(newest, []);

        await using (var storage = NodeStorage.Open(options))
        {
            storage.LostState!.Path.Should().Be(newest);
            storage.State.HardState.Rejoining.Should().BeTrue();
            var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1, 2, 3] }, storage.State);
            replica.IsVoter.Should().BeFalse("a node that lost durable records rejoins under the same fence as an empty disk");
        }
    }
}
