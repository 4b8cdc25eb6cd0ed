using System.Security.Cryptography;

namespace ReplicatedKv.StateMachine.Backup;

/// <summary>
/// A backup file: what <c>rkvctl snapshot save</c> writes and <c>rkv-server restore</c> reads.
/// <code>
/// [header]    BackupHeader: magic "RKVBACKP", format, slot, revision, key count, creation time, cluster id, node id
/// [payload]   the state machine's snapshot payload, exactly as a node writes it into its own snapshot files (SnapshotFormat)
/// [checksum]  32 bytes: SHA-256 of everything before it
/// </code>
/// The checksum is last so a node can stream the file as it serializes, and so a truncated transfer (no checksum, or
/// the wrong bytes in its place) is always caught.
/// </summary>
public static class BackupFile
{
    public const int ChecksumLength = 32;

    /// <summary>Writes <paramref name="view"/> as a backup file of <paramref name="clusterId"/>, taken on <paramref name="nodeId"/>. Safe on any thread.</summary>
    public static async Task WriteAsync(StateSnapshotView view, string clusterId, string nodeId, DateTimeOffset created, Stream destination,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(destination);
        var header = new BackupHeader(clusterId, nodeId, view.AppliedSlot, view.Revision, view.Count, created);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var hashing = new HashingWriteStream(destination, hash);
        await hashing.WriteAsync(header.ToBytes(), cancellationToken).ConfigureAwait(false);
        await view.WriteAsync(hashing, cancellationToken).ConfigureAwait(false);
        await destination.WriteAsync(hash.GetHashAndReset(), cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks the file's header and checksum (a pass over the whole file) and returns the header. Throws
    /// <see cref="BackupFileException"/> for a file that is not a backup, or is damaged or truncated.
    /// </summary>
    public static BackupHeader Verify(string path) => VerifyCore(path).Header;

    /// <summary>
    /// Verifies the file, then reads its whole payload back into a state machine, which checks every entry:
    /// the key count, state hash and size <c>snapshot status</c> reports. Throws <see cref="BackupFileException"/>.
    /// </summary>
    public static async Task<BackupSummary> InspectAsync(string path, CancellationToken cancellationToken = default)
    {
        var verified = VerifyCore(path);
        var machine = await RestoreVerifiedAsync(path, verified, cancellationToken).ConfigureAwait(false);
        return new BackupSummary(verified.Header, verified.Size, machine.Count, machine.ComputeStateHash());
    }

    /// <summary>
    /// Verifies the file and rebuilds the state it holds; throws <see cref="BackupFileException"/> if it is damaged or
    /// its payload disagrees with its header.
    /// </summary>
    public static Task<KeyValueStateMachine> RestoreAsync(string path, CancellationToken cancellationToken = default) =>
        RestoreVerifiedAsync(path, VerifyCore(path), cancellationToken);

    private static async Task<KeyValueStateMachine> RestoreVerifiedAsync(string path, (BackupHeader Header, int HeaderLength, long Size) verified,
        CancellationToken cancellationToken)
    {
        var (header, headerLength, size) = verified;
        KeyValueStateMachine machine;
        var payload = OpenPayload(path, headerLength, size);
        await using (payload.ConfigureAwait(false))
        {
            try
            {
                machine = await KeyValueStateMachine.RestoreAsync(payload, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (SnapshotFormatException e)
            {
                throw new BackupFileException($"the snapshot inside the backup is damaged: {e.Message}", e);
            }
        }

        if (machine.AppliedSlot != header.AppliedSlot || machine.Revision != header.Revision || machine.Count != header.KeyCount)
        {
            throw new BackupFileException(
                $"the backup header (slot {header.AppliedSlot}, revision {header.Revision}, {header.KeyCount} keys) disagrees with its snapshot (slot {machine.AppliedSlot}, revision {machine.Revision}, {machine.Count} keys)");
        }

        return machine;
    }

    private static BoundedReadStream OpenPayload(string path, int headerLength, long size)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        file.Position = headerLength;
        return new BoundedReadStream(file, size - headerLength - ChecksumLength);
    }

    private static (BackupHeader Header, int HeaderLength, long Size) VerifyCore(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BackupFileException($"{path}: no such file", e);
        }

        using (file)
        {
            var size = file.Length;
            var (header, headerLength) = BackupHeader.Read(file);
            if (size < headerLength + SnapshotFormat.HeaderLength + SnapshotFormat.TrailerLength + ChecksumLength)
            {
                throw new BackupFileException($"the file is too short to hold a snapshot and its checksum ({size} bytes): truncated");
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            file.Position = 0;
            var buffer = new byte[1 << 16];
            var remaining = size - ChecksumLength;
            while (remaining > 0)
            {
                var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0)
                {
                    throw new BackupFileException("the file ended while it was being read");
                }

                hash.AppendData(buffer, 0, read);
                remaining -= read;
            }

            var stored = new byte[ChecksumLength];
            file.ReadExactly(stored);
            if (!CryptographicOperations.FixedTimeEquals(stored, hash.GetHashAndReset()))
            {
                throw new BackupFileException("checksum mismatch: the file is damaged or truncated");
            }

            return (header, headerLength, size);
        }
    }

    /// <summary>Passes writes through to the destination and into the hash.</summary>
    private sealed class HashingWriteStream(Stream destination, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => destination.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => destination.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            hash.AppendData(buffer, offset, count);
            destination.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            return destination.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
