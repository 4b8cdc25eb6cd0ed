using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace ReplicatedKv.Storage;

/// <summary>
/// Snapshot files <c>snapshot-{slot}.snap</c>: <c>[8-byte magic][u32 version][i64 slot][u32 membership length][membership]
/// [payload][u32 CRC-32C of all before]</c>. The membership section (version 2) holds the encoded configurations the
/// snapshot carries (Consensus.MembershipSnapshot), opaque here; version 1 files have none and are still read.
/// A snapshot is written to a temporary file, fsynced, renamed into place and the directory fsynced, so a
/// crash leaves either the whole snapshot or none; a half-written one is never mistaken for a snapshot.
/// The same bytes travel to peers in chunks and are installed through the same atomic rename.
/// </summary>
public sealed partial class SnapshotStore
{
    internal const int HeaderSize = 20;
    private const uint FormatVersion = 2;
    private const uint FormatWithoutMembership = 1;

    /// <summary>Largest membership section accepted: a few configurations of at most 64 members with their URLs.</summary>
    private const int MaxMembershipBytes = 1 << 20;
    private static ReadOnlySpan<byte> Magic => "RKVSNAP1"u8;

    private readonly string _directory;
    private readonly int _keep;
    private readonly ILogger _logger;

    public SnapshotStore(string directory, int keep, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        _directory = directory;
        _keep = keep;
        _logger = logger;
        Directory.CreateDirectory(directory);
        foreach (var stale in Directory.GetFiles(directory, "*.tmp"))
        {
            // A snapshot interrupted by a crash: never renamed into place, so never valid.
            File.Delete(stale);
        }
    }

    /// <summary>Slots of the complete snapshot files on disk, newest first (not yet checked for damage).</summary>
    public IReadOnlyList<long> List()
    {
        var slots = new List<long>();
        foreach (var path in Directory.GetFiles(_directory, "snapshot-*.snap"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan("snapshot-".Length), out var slot))
            {
                slots.Add(slot);
            }
        }

        slots.Sort((a, b) => b.CompareTo(a));
        return slots;
    }

    public string PathOf(long slot) => Path.Combine(_directory, $"snapshot-{slot:D20}.snap");

    /// <summary>
    /// Writes a snapshot of the state through <paramref name="slot"/>: <paramref name="writePayload"/> streams the
    /// state machine into the file. Returns once the file is durable under its final name.
    /// </summary>
    public Task SaveAsync(long slot, Func<Stream, CancellationToken, Task> writePayload, CancellationToken cancellationToken = default) =>
        SaveAsync(slot, ReadOnlyMemory<byte>.Empty, writePayload, cancellationToken);

    /// <summary>As <see cref="SaveAsync(long, Func{Stream, CancellationToken, Task}, CancellationToken)"/>, with the membership bytes stored beside the state.</summary>
    public async Task SaveAsync(long slot, ReadOnlyMemory<byte> membership, Func<Stream, CancellationToken, Task> writePayload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(membership.Length, MaxMembershipBytes);
        var temporary = PathOf(slot) + ".save.tmp";
        try
        {
            await WriteFileAsync(temporary, slot, membership, writePayload, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        Publish(temporary, slot);
    }

    private static async Task WriteFileAsync(string temporary, long slot, ReadOnlyMemory<byte> membership, Func<Stream, CancellationToken, Task> writePayload,
        CancellationToken cancellationToken)
    {
        var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            var crc = new CrcStream(file);
            var header = new byte[HeaderSize];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), FormatVersion);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), slot);
            await crc.WriteAsync(header, cancellationToken).ConfigureAwait(false);
            var membershipLength = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(membershipLength, (uint)membership.Length);
            await crc.WriteAsync(membershipLength, cancellationToken).ConfigureAwait(false);
            await crc.WriteAsync(membership, cancellationToken).ConfigureAwait(false);
            await writePayload(crc, cancellationToken).ConfigureAwait(false);
            var trailer = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc.Crc);
            await file.WriteAsync(trailer, cancellationToken).ConfigureAwait(false);
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            FileSync.DataSync(file.SafeFileHandle);
        }
    }

    /// <summary>
    /// Opens the newest snapshot whose checksum holds, skipping (and logging) damaged ones. Returns null when
    /// there is none. The stream is positioned at the payload and ends where the payload ends.
    /// </summary>
    public SnapshotReader? OpenNewestValid()
    {
        foreach (var slot in List())
        {
            var path = PathOf(slot);
            if (Verify(path, out var layout))
            {
                return layout.ReaderFor(slot, path);
            }

            LogDamagedSnapshot(_logger, path);
        }

        return null;
    }

    /// <summary>Deletes all but the newest <c>keep</c> snapshots.</summary>
    public void Prune()
    {
        var slots = List();
        for (var i = _keep; i < slots.Count; i++)
        {
            File.Delete(PathOf(slots[i]));
        }

        if (slots.Count > _keep)
        {
            FileSync.SyncDirectory(_directory);
        }
    }

    /// <summary>Reads the whole snapshot file at <paramref name="slot"/> in chunks, for sending to a peer.</summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(long slot, int chunkSize,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(PathOf(slot), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            while (true)
            {
                var chunk = new byte[chunkSize];
                var read = await stream.ReadAtLeastAsync(chunk, chunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    yield break;
                }

                yield return chunk.AsMemory(0, read);
                if (read < chunkSize)
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>Starts receiving a snapshot sent by a peer; nothing is visible until <see cref="SnapshotReceiver.CompleteAsync"/>.</summary>
    public SnapshotReceiver BeginReceive(long slot) => new(this, slot, PathOf(slot) + ".receive.tmp");

    internal void Publish(string temporary, long slot)
    {
        File.Move(temporary, PathOf(slot), overwrite: true);
        FileSync.SyncDirectory(_directory);
    }

    /// <summary>Checks magic, version, the membership section's bounds and the whole-file checksum.</summary>
    internal static bool Verify(string path, out SnapshotLayout layout)
    {
        layout = default;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var length = stream.Length;
        if (length < HeaderSize + 4)
        {
            return false;
        }

        var header = new byte[HeaderSize];
        stream.ReadExactly(header);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        if (!header.AsSpan(0, 8).SequenceEqual(Magic) || (version != FormatVersion && version != FormatWithoutMembership))
        {
            return false;
        }

        var crc = Crc32C.Append(~0u, header);
        byte[]? membership = null;
        var payloadOffset = (long)HeaderSize;
        if (version == FormatVersion)
        {
            var lengthBytes = new byte[4];
            if (length < HeaderSize + 4 + 4)
            {
                return false;
            }

            stream.ReadExactly(lengthBytes);
            var membershipLength = BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
            if (membershipLength > MaxMembershipBytes || membershipLength > length - HeaderSize - 4 - 4)
            {
                return false;
            }

            membership = new byte[membershipLength];
            stream.ReadExactly(membership);
            crc = Crc32C.Append(Crc32C.Append(crc, lengthBytes), membership);
            payloadOffset += 4 + membershipLength;
        }

        var buffer = new byte[1 << 16];
        var remaining = length - payloadOffset - 4;
        while (remaining > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
            {
                return false;
            }

            crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
            remaining -= read;
        }

        Span<byte> trailer = stackalloc byte[4];
        stream.ReadExactly(trailer);
        layout = new SnapshotLayout(payloadOffset, length - payloadOffset - 4, membership is { Length: > 0 } ? membership : null);
        return BinaryPrimitives.ReadUInt32LittleEndian(trailer) == ~crc;
    }

    internal static long SlotInHeader(ReadOnlySpan<byte> header) =>
        header.Length >= HeaderSize ? BinaryPrimitives.ReadInt64LittleEndian(header[12..]) : -1;

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Snapshot {Path} is damaged; falling back to an older one")]
    private static partial void LogDamagedSnapshot(ILogger logger, string path);
}

/// <summary>Where a verified snapshot file's payload lies, and the membership bytes it carries (null: none, a version 1 file).</summary>
internal readonly record struct SnapshotLayout(long PayloadOffset, long PayloadLength, byte[]? Membership)
{
    public SnapshotReader ReaderFor(long slot, string path) => new(slot, path, PayloadOffset, PayloadLength) { Membership = Membership };
}
