using Microsoft.Extensions.Logging.Abstractions;

namespace ReplicatedKv.Storage.Tests;

public sealed class SnapshotStoreTests
{
    private static Func<Stream, CancellationToken, Task> Payload(byte[] bytes) => (s, ct) => s.WriteAsync(bytes, ct).AsTask();

    [Fact]
    public async Task A_saved_snapshot_reads_back_and_old_ones_are_pruned()
    {
        using var dir = new TempDirectory();
        var store = new SnapshotStore(dir.Path, keep: 2, NullLogger.Instance);
        for (var slot = 10; slot <= 40; slot += 10)
        {
            await store.SaveAsync(slot, Payload([.. Enumerable.Repeat((byte)slot, slot)]));
        }

        store.Prune();
        store.List().Should().Equal(40, 30);
        var newest = store.OpenNewestValid()!;
        newest.Slot.Should().Be(40);
        await using var payload = newest.OpenPayload();
        using var copy = new MemoryStream();
        await payload.CopyToAsync(copy);
        copy.ToArray().Should().Equal(Enumerable.Repeat((byte)40, 40));
    }

    [Fact]
    public async Task A_half_written_snapshot_is_ignored_and_removed_on_restart()
    {
        using var dir = new TempDirectory();
        var store = new SnapshotStore(dir.Path, keep: 3, NullLogger.Instance);
        await store.SaveAsync(5, Payload([1, 2, 3]));
        var crash = () => store.SaveAsync(9, async (s, ct) =>
        {
            await s.WriteAsync(new byte[1000], ct);
            throw new IOException("power lost");
        });
        await crash.Should().ThrowAsync<IOException>();

        var reopened = new SnapshotStore(dir.Path, keep: 3, NullLogger.Instance);
        reopened.List().Should().Equal(5);
        reopened.OpenNewestValid()!.Slot.Should().Be(5);
        Directory.GetFiles(dir.Path, "*.tmp").Should().BeEmpty();
    }

    [Fact]
    public async Task A_damaged_newest_snapshot_falls_back_to_the_previous_one()
    {
        using var dir = new TempDirectory();
        var store = new SnapshotStore(dir.Path, keep: 3, NullLogger.Instance);
        await store.SaveAsync(5, Payload([1, 2, 3]));
        await store.SaveAsync(9, Payload([4, 5, 6]));
        var path = store.PathOf(9);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[21] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        store.OpenNewestValid()!.Slot.Should().Be(5);
    }

    [Fact]
    public async Task A_snapshot_streamed_in_chunks_installs_atomically_and_a_damaged_transfer_leaves_nothing()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var sender = new SnapshotStore(source.Path, keep: 2, NullLogger.Instance);
        var receiver = new SnapshotStore(target.Path, keep: 2, NullLogger.Instance);
        var payload = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        await sender.SaveAsync(77, Payload(payload));

        await using (var receiving = receiver.BeginReceive(77))
        {
            await foreach (var chunk in sender.ReadChunksAsync(77, chunkSize: 4096))
            {
                await receiving.WriteChunkAsync(chunk);
            }

            var installed = await receiving.CompleteAsync();
            installed.Slot.Should().Be(77);
        }

        await using (var read = receiver.OpenNewestValid()!.OpenPayload())
        {
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            copy.ToArray().Should().Equal(payload);
        }

        await using (var damaged = receiver.BeginReceive(88))
        {
            var first = true;
            await foreach (var chunk in sender.ReadChunksAsync(77, chunkSize: 4096))
            {
                var bytes = chunk.ToArray();
                if (first)
                {
                    bytes[30] ^= 1;
                    first = false;
                }

                await damaged.WriteChunkAsync(bytes);
            }

            var complete = () => damaged.CompleteAsync();
            await complete.Should().ThrowAsync<InvalidDataException>();
        }

        receiver.List().Should().Equal(77);
        Directory.GetFiles(target.Path, "*.tmp").Should().BeEmpty();
    }
}
