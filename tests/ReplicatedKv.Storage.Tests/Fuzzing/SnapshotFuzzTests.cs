using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Testing.Fuzzing;

namespace ReplicatedKv.Storage.Tests.Fuzzing;

/// <summary>
/// Mutated snapshots are refused with a clear error or read exactly, never a crash or a hang: the state machine's
/// payload reader (<see cref="KeyValueStateMachine.RestoreAsync"/>, what a peer's snapshot reaches once its
/// checksum holds) and the snapshot files of <see cref="SnapshotStore"/> (checksum, header and slot).
/// </summary>
public sealed class SnapshotFuzzTests
{
    [Fact]
    public async Task Mutated_payloads_are_refused_as_format_errors_or_restore_a_state_that_round_trips()
    {
        var (payload, hash) = await ValidPayloadAsync();
        var outcomes = new int[2];
        await FuzzRun.SeedsAsync("snapshot-payload", 2000, async seed =>
        {
            var mutator = new ByteMutator(seed);
            var mutated = mutator.Mutate(payload, [payload]);
            KeyValueStateMachine restored;
            try
            {
                // Now and then in small pieces, so the reader's refilling at every boundary is fuzzed too.
                await using var stream = new ChunkedStream(mutated, mutator.Random.Next(3) == 0 ? 1 + mutator.Random.Next(7) : int.MaxValue);
                restored = await KeyValueStateMachine.RestoreAsync(stream);
            }
            catch (SnapshotFormatException e)
            {
                e.Message.Should().NotBeNullOrWhiteSpace();
                Interlocked.Increment(ref outcomes[0]);
                return;
            }

            Interlocked.Increment(ref outcomes[1]);
            if (mutated.AsSpan().SequenceEqual(payload))
            {
                restored.ComputeStateHash().Should().Be(hash);
            }

            // Whatever was accepted is a state this build can write and read back as the same state.
            using var again = new MemoryStream();
            await restored.WriteSnapshotAsync(again);
            again.Position = 0;
            (await KeyValueStateMachine.RestoreAsync(again)).ComputeStateHash().Should().Be(restored.ComputeStateHash());
        });

        outcomes[0].Should().BeGreaterThan(0, "most mutations damage the payload");
    }

    [Fact]
    public async Task Mutated_snapshot_files_are_skipped_as_damaged_or_read_back_exactly()
    {
        using var dir = new TempDirectory();
        var (payload, hash) = await ValidPayloadAsync();
        var store = new SnapshotStore(dir.Path, keep: 2, NullLogger.Instance);
        const long slot = 40;
        await store.SaveAsync(slot, (stream, ct) => stream.WriteAsync(payload, ct).AsTask());
        var file = await File.ReadAllBytesAsync(store.PathOf(slot));
        var skipped = 0;

        // Real files: fewer seeds than the in-memory targets.
        await FuzzRun.SeedsAsync("snapshot-file", 300, async seed =>
        {
            var mutated = new ByteMutator(seed).Mutate(file, [file]);
            using var seedDir = new TempDirectory();
            var seedStore = new SnapshotStore(seedDir.Path, keep: 2, NullLogger.Instance);
            await File.WriteAllBytesAsync(seedStore.PathOf(slot), mutated);
            var reader = seedStore.OpenNewestValid();
            if (reader is null)
            {
                Interlocked.Increment(ref skipped);
                await ReceiveShouldBeRefusedAsync(seedStore, mutated, slot);
                return;
            }

            // Its checksum held: the bytes are the snapshot that was written, read exactly.
            reader.Slot.Should().Be(slot);
            await using var stream = reader.OpenPayload();
            (await KeyValueStateMachine.RestoreAsync(stream)).ComputeStateHash().Should().Be(hash);
        });

        skipped.Should().BeGreaterThan(0);
    }

    /// <summary>The same bytes sent by a peer are refused with the documented error, and leave nothing behind.</summary>
    private static async Task ReceiveShouldBeRefusedAsync(SnapshotStore store, byte[] bytes, long slot)
    {
        var receiver = store.BeginReceive(slot + 1);
        await using (receiver)
        {
            await receiver.WriteChunkAsync(bytes);
            var complete = () => receiver.CompleteAsync();
            await complete.Should().ThrowAsync<InvalidDataException>();
        }

        store.List().Should().NotContain(slot + 1);
    }

    /// <summary>A payload with keys of every shape (empty and large values, non-ASCII keys) and client sessions.</summary>
    private static async Task<(byte[] Payload, string Hash)> ValidPayloadAsync()
    {
        var machine = new KeyValueStateMachine();
        var slot = 0L;
        void Apply(KvCommand command) => machine.Apply(++slot, [CommandCodec.Encode(command)]);
        Apply(KvCommand.Set("a", "1"u8.ToArray()));
        Apply(KvCommand.Set("empty", Array.Empty<byte>()));
        Apply(KvCommand.Set("ключ-🔑", new byte[300]));
        Apply(KvCommand.Set("a", "2"u8.ToArray(), requestId: new RequestId("client-1", 7)));
        Apply(KvCommand.Set("gone", "x"u8.ToArray(), requestId: new RequestId("client-2", 1)));
        Apply(KvCommand.Remove("gone", requestId: new RequestId("client-2", 2)));
        Apply(KvCommand.Set("big", Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray()));
        Apply(KvCommand.Set("b", "v"u8.ToArray(), ifVersion: 999, requestId: new RequestId("client-3", ulong.MaxValue)));
        using var stream = new MemoryStream();
        await machine.WriteSnapshotAsync(stream);
        var payload = stream.ToArray();
        BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(25)).Should().Be(machine.Count);
        return (payload, machine.ComputeStateHash());
    }

    /// <summary>A read-only stream that returns at most <paramref name="chunk"/> bytes a read.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
    }
}
