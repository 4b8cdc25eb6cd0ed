using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Storage.Tests;

/// <summary>The core's persistence contract end to end: what a replica hands out comes back after a restart.</summary>
public sealed class NodeStorageTests
{
    [Fact]
    public async Task A_replica_restarted_from_storage_has_its_promise_and_decided_log()
    {
        using var dir = new TempDirectory();
        var config = new ReplicaConfig { NodeId = 1, Members = [1] };
        var options = new StorageOptions { DataDirectory = dir.Path };
        Ballot promised;
        await using (var storage = NodeStorage.Open(options))
        {
            var replica = new PaxosReplica(config, storage.State);
            replica.Campaign();
            Drive(replica, storage);
            for (var i = 0; i < 5; i++)
            {
                replica.Propose(new byte[] { (byte)i });
                Drive(replica, storage);
            }

            replica.DecidedIndex.Should().Be(5);
            promised = replica.Promised;
        }

        await using (var storage = NodeStorage.Open(options))
        {
            storage.State.HardState.Should().Be(new HardState(promised, 5));
            var restarted = new PaxosReplica(config, storage.State);
            restarted.GetReady().Decided.Select(e => e.Value.Commands[0].Span[0]).Should().Equal(0, 1, 2, 3, 4);
        }
    }

    [Fact]
    public async Task The_rejoining_flag_survives_a_restart_until_the_vote_is_regained_and_then_stays_cleared()
    {
        using var dir = new TempDirectory();
        var config = new ReplicaConfig { NodeId = 2, Members = [1, 2, 3], RejoinMode = RejoinMode.Rejoin, RejoinQuarantineTicks = 0 };
        var options = new StorageOptions { DataDirectory = dir.Path };
        var leader = new Ballot(4, 1);
        await using (var storage = NodeStorage.Open(options))
        {
            var replica = new PaxosReplica(config, storage.State);
            replica.IsVoter.Should().BeFalse();
            var ready = replica.GetReady();
            ready.HardState.Should().Be(new HardState(Ballot.Zero, 0, Rejoining: true));
            ready.MustSync.Should().BeTrue();
            storage.Persist(ready);
            replica.Advance();

            // A leader's heartbeat raises the learner's promise; the flag stays with it in the same record.
            replica.Step(new Heartbeat(1, 2, leader, 0, 0));
            Drive(replica, storage);
        }

        PersistentState persisted;
        await using (var storage = NodeStorage.Open(options))
        {
            persisted = storage.State;
            persisted.HardState.Should().Be(new HardState(leader, 0, Rejoining: true));

            // Whatever the operator says now, the persisted flag wins.
            var replica = new PaxosReplica(config with { RejoinMode = RejoinMode.Bootstrap }, persisted);
            replica.RejoinState.Should().Be(RejoinState.Learner);

            // Regain the vote: follow the leader, get a fence, see the fence slot decided by that leader.
            replica.Step(new Heartbeat(1, 2, leader, 0, 0));
            var probe = replica.GetReady().Messages.OfType<RejoinProbe>().Single();
            probe.Waiting.Should().BeTrue();
            replica.Advance();
            replica.Step(new RejoinStatus(1, 2, leader, probe.Round, RejoinState.Voter, 0, 1, 0, FenceSlot: 1));
            replica.Step(new Accept(1, 2, leader, 0, [new LogEntry(1, leader, SlotValue.NoOp)]));
            replica.Step(new Heartbeat(1, 2, leader, 1, 0));
            replica.IsVoter.Should().BeFalse("it votes only once the cleared flag is durable");
            Drive(replica, storage);
            replica.IsVoter.Should().BeTrue();
        }

        await using (var storage = NodeStorage.Open(options))
        {
            storage.State.HardState.Should().Be(new HardState(leader, 1));
            new PaxosReplica(config, storage.State).IsVoter.Should().BeTrue();
        }
    }

    [Fact]
    public async Task A_log_that_promises_a_newer_snapshot_than_the_disk_holds_is_refused()
    {
        using var dir = new TempDirectory();
        var options = new StorageOptions { DataDirectory = dir.Path };
        await using (var storage = NodeStorage.Open(options))
        {
            await storage.SaveSnapshotAsync(7, (s, ct) => s.WriteAsync(new byte[] { 1, 2, 3 }, ct).AsTask());
            storage.RecordSnapshot(7);
        }

        File.Delete(Directory.GetFiles(Path.Combine(dir.Path, "snap"), "*.snap").Single());
        var open = () => NodeStorage.Open(options);
        open.Should().Throw<WalCorruptionException>().Which.Message.Should().Contain("snapshot through slot 7");
    }

    [Fact]
    public async Task A_snapshot_becomes_due_by_entry_count_and_taking_one_resets_it()
    {
        using var dir = new TempDirectory();
        var config = new ReplicaConfig { NodeId = 1, Members = [1] };
        await using var storage = NodeStorage.Open(new StorageOptions { DataDirectory = dir.Path, SnapshotEveryEntries = 3, SnapshotEveryBytes = 0 });
        var replica = new PaxosReplica(config, storage.State);
        replica.Campaign();
        Drive(replica, storage);
        storage.SnapshotDue.Should().BeFalse();
        for (var i = 0; i < 3; i++)
        {
            replica.Propose(new byte[] { (byte)i });
            Drive(replica, storage);
        }

        storage.SnapshotDue.Should().BeTrue();
        await storage.SaveSnapshotAsync(replica.HandedOutIndex, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask());
        storage.SnapshotDue.Should().BeFalse("a snapshot was taken; the loop has yet to record it");
        storage.RecordSnapshot(replica.HandedOutIndex);
        storage.SnapshotDue.Should().BeFalse();
        replica.Propose(new byte[] { 9 });
        Drive(replica, storage);
        storage.SnapshotDue.Should().BeFalse("one entry since the snapshot");
    }

    [Fact]
    public void Persist_syncs_exactly_the_readies_that_must_be_durable()
    {
        using var dir = new TempDirectory();
        var files = new InMemoryFiles();
        var config = new ReplicaConfig { NodeId = 1, Members = [1] };
        using var storage = NodeStorage.Open(new StorageOptions { DataDirectory = dir.Path, Files = files });
        var replica = new PaxosReplica(config, storage.State);
        replica.Campaign();
        var synced = 0;
        for (var i = 0; i < 5; i++)
        {
            replica.Propose(new byte[] { (byte)i });
            while (replica.HasReady)
            {
                var ready = replica.GetReady();
                var syncsBefore = files.Counts.GetValueOrDefault(FileOperation.DataSync);
                storage.Persist(ready);
                var syncs = files.Counts.GetValueOrDefault(FileOperation.DataSync) - syncsBefore;
                syncs.Should().Be(ready.MustSync && (ready.Entries.Count > 0 || ready.HardState is not null) ? 1 : 0);
                synced += syncs;
                replica.Advance();
            }
        }

        synced.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Saving_a_snapshot_file_leaves_the_log_alone_until_the_loop_records_it()
    {
        using var dir = new TempDirectory();
        var files = new InMemoryFiles();
        var config = new ReplicaConfig { NodeId = 1, Members = [1] };
        using var storage = NodeStorage.Open(new StorageOptions { DataDirectory = dir.Path, Files = files, SegmentBytes = 256 });
        var replica = new PaxosReplica(config, storage.State);
        replica.Campaign();
        Drive(replica, storage);
        for (var i = 0; i < 20; i++)
        {
            replica.Propose(new byte[50]);
            Drive(replica, storage);
        }

        var before = files.Counts;
        var segments = storage.Log.SegmentCount;
        await Task.Run(() => storage.SaveSnapshotAsync(replica.HandedOutIndex, (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask()));
        files.Counts.Should().Equal(before, "the snapshot file is written off the loop and never touches the log");

        storage.RecordSnapshot(replica.HandedOutIndex);
        storage.Log.SegmentCount.Should().BeLessThan(segments, "recording the snapshot compacts the log behind it");
        files.Counts[FileOperation.DataSync].Should().BeGreaterThan(before[FileOperation.DataSync], "the marker is synced");
    }

    private static void Drive(PaxosReplica replica, NodeStorage storage)
    {
        while (replica.HasReady)
        {
            var ready = replica.GetReady();
            storage.Persist(ready);
            replica.Advance();
        }
    }
}
