using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// The configurations a snapshot carries are stored in its file: they come back on restart, travel with the file to
/// a peer, and a file from before membership changes (format 1) still reads, with none.
/// </summary>
public sealed class SnapshotMembershipTests
{
    private static readonly MembershipSnapshot Membership = new(
    [
        new ConfigurationEntry(0, 1, new Configuration([new Member(1, true, "p1"), new Member(2, true, "p2"), new Member(3, true, "p3")], 8)),
        new ConfigurationEntry(40, 48, new Configuration([new Member(1, true, "p1"), new Member(2, true, "p2"), new Member(3, true, "p3"), new Member(4, false, "http://n4:7101 http://n4:7001")], 8)),
    ]);

    private static Func<Stream, CancellationToken, Task> Payload(byte[] bytes) => (s, ct) => s.WriteAsync(bytes, ct).AsTask();

    [Fact]
    public async Task The_membership_saved_with_a_snapshot_comes_back_on_restart()
    {
        using var dir = new TempDirectory();
        var options = new StorageOptions { DataDirectory = dir.Path };
        await using (var storage = NodeStorage.Open(options))
        {
            storage.State.Membership.Should().BeNull("nothing was saved yet");
            await storage.SaveSnapshotAsync(50, Membership, Payload([1, 2, 3]));
            storage.RecordSnapshot(50);
        }

        await using var reopened = NodeStorage.Open(options);

        reopened.State.SnapshotSlot.Should().Be(50);
        reopened.State.Membership!.Encode().Should().Equal(Membership.Encode());
        await using var payload = reopened.Snapshot!.OpenPayload();
        using var copy = new MemoryStream();
        await payload.CopyToAsync(copy);
        copy.ToArray().Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task A_snapshot_sent_to_a_peer_carries_its_membership()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var sender = new SnapshotStore(source.Path, keep: 2, NullLogger.Instance);
        var receiver = new SnapshotStore(target.Path, keep: 2, NullLogger.Instance);
        await sender.SaveAsync(50, Membership.Encode(), Payload([7, 8, 9]));

        SnapshotReader installed;
        await using (var receiving = receiver.BeginReceive(50))
        {
            await foreach (var chunk in sender.ReadChunksAsync(50, chunkSize: 16))
            {
                await receiving.WriteChunkAsync(chunk);
            }

            installed = await receiving.CompleteAsync();
        }

        NodeStorage.MembershipOf(installed)!.Encode().Should().Equal(Membership.Encode());
        await using var payload = installed.OpenPayload();
        using var copy = new MemoryStream();
        await payload.CopyToAsync(copy);
        copy.ToArray().Should().Equal(7, 8, 9);
    }

    [Fact]
    public async Task A_format_1_snapshot_without_membership_still_reads()
    {
        using var dir = new TempDirectory();
        var store = new SnapshotStore(dir.Path, keep: 2, NullLogger.Instance);
        await File.WriteAllBytesAsync(store.PathOf(30), FormatOneFile(30, [4, 5, 6]));

        var reader = store.OpenNewestValid();

        reader!.Slot.Should().Be(30);
        reader.Membership.Should().BeNull();
        NodeStorage.MembershipOf(reader).Should().BeNull("no membership: the bootstrap configuration");
        await using var payload = reader.OpenPayload();
        using var copy = new MemoryStream();
        await payload.CopyToAsync(copy);
        copy.ToArray().Should().Equal(4, 5, 6);
    }

    [Fact]
    public async Task Membership_bytes_that_pass_the_checksum_but_do_not_decode_refuse_the_start()
    {
        using var dir = new TempDirectory();
        var options = new StorageOptions { DataDirectory = dir.Path };
        await using (var storage = NodeStorage.Open(options))
        {
            await storage.Snapshots.SaveAsync(50, new byte[] { 0x01, 0x02 }, Payload([1]));
            storage.RecordSnapshot(50);
        }

        var open = () => NodeStorage.Open(options);

        open.Should().Throw<WalCorruptionException>().Which.Message.Should().Contain("membership section");
    }

    // The file as the version before membership changes wrote it: magic, version 1, slot, payload, CRC-32C.
    private static byte[] FormatOneFile(long slot, byte[] payload)
    {
        var file = new byte[20 + payload.Length + 4];
        "RKVSNAP1"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), 1);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(12), slot);
        payload.CopyTo(file, 20);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20 + payload.Length), Crc32C.Compute(file.AsSpan(0, 20 + payload.Length)));
        return file;
    }
}
