using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// A node's whole durable life on the real path: commands go through a replica, every Ready is persisted,
/// decided slots are applied to the key-value state machine; a snapshot compacts the log; a restart
/// restores the snapshot and replays the log after it.
/// </summary>
public sealed class SnapshotRoundTripTests
{
    private const int Keys = 1_000_000;
    private static readonly ReplicaConfig Config = new() { NodeId = 1, Members = [1], MaxBatchCommands = 4096, Window = 8 };

    [Fact]
    public async Task A_million_key_snapshot_survives_compaction_and_restart_and_a_half_written_one_is_ignored()
    {
        using var dir = new TempDirectory();
        var options = new StorageOptions { DataDirectory = dir.Path, SegmentBytes = 4L << 20 };
        string expectedHash;
        long snapshotSlot;
        await using (var storage = NodeStorage.Open(options))
        {
            var node = new Node(new PaxosReplica(Config, storage.State), new KeyValueStateMachine(), storage);
            node.Replica.Campaign();
            node.Drive();
            node.Propose(0, Keys);

            var segmentsBefore = storage.Log.SegmentCount;
            snapshotSlot = node.Machine.AppliedSlot;
            var view = node.Machine.CreateSnapshotView();
            await storage.SaveSnapshotAsync(snapshotSlot, view.WriteAsync);
            storage.RecordSnapshot(snapshotSlot);
            node.Replica.Compact(snapshotSlot);
            storage.Log.SegmentCount.Should().BeLessThan(segmentsBefore, "segments wholly below the snapshot are deleted");

            // Writes after the snapshot live only in the log.
            node.Propose(Keys, 1000);
            node.Machine.Count.Should().Be(Keys + 1000);
            expectedHash = node.Machine.ComputeStateHash();

            // A snapshot interrupted half-way (a crash in the middle of writing it) must not count.
            var interrupted = () => storage.Snapshots.SaveAsync(node.Machine.AppliedSlot, async (stream, ct) =>
            {
                await stream.WriteAsync(new byte[1 << 20], ct);
                throw new IOException("killed while writing the snapshot");
            });
            await interrupted.Should().ThrowAsync<IOException>();
        }

        await using (var storage = NodeStorage.Open(options))
        {
            storage.Snapshot.Should().NotBeNull();
            storage.Snapshot!.Slot.Should().Be(snapshotSlot, "the half-written snapshot was never renamed into place");
            KeyValueStateMachine machine;
            await using (var payload = storage.Snapshot.OpenPayload())
            {
                machine = await KeyValueStateMachine.RestoreAsync(payload);
            }

            machine.Count.Should().Be(Keys);
            var node = new Node(new PaxosReplica(Config, storage.State), machine, storage);
            node.Drive();
            machine.Count.Should().Be(Keys + 1000);
            machine.ComputeStateHash().Should().Be(expectedHash);
        }
    }

    /// <summary>A minimal host loop: persist, then apply, then advance.</summary>
    private sealed class Node(PaxosReplica replica, KeyValueStateMachine machine, NodeStorage storage)
    {
        public PaxosReplica Replica { get; } = replica;

        public KeyValueStateMachine Machine { get; } = machine;

        public void Propose(int first, int count)
        {
            const int PerPropose = 4096;
            for (var start = first; start < first + count; start += PerPropose)
            {
                var commands = new List<ReadOnlyMemory<byte>>(PerPropose);
                for (var i = start; i < Math.Min(start + PerPropose, first + count); i++)
                {
                    commands.Add(CommandCodec.Encode(KvCommand.Set($"key-{i:D7}", BitConverter.GetBytes(i))));
                }

                Replica.Propose(commands).Should().Be(RequestOutcome.Accepted);
                Drive();
            }
        }

        public void Drive()
        {
            while (Replica.HasReady)
            {
                var ready = Replica.GetReady();
                storage.Persist(ready);
                foreach (var entry in ready.Decided)
                {
                    Machine.Apply(entry.Slot, entry.Value.Commands);
                }

                Replica.Advance();
            }
        }
    }
}
