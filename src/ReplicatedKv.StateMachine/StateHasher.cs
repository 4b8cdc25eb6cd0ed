using System.Security.Cryptography;

namespace ReplicatedKv.StateMachine;

/// <summary>
/// SHA-256 over a canonical encoding of the state, independent of hash table layout and insertion history.
/// The encoding is the snapshot's entry and client encoding in sorted order: every field is length-prefixed,
/// so different states cannot encode to the same bytes.
/// </summary>
internal static class StateHasher
{
    public static string Compute(ulong revision, KeyValuePair<string, VersionedValue>[] entries, ClientSession[] sessions)
    {
        var sortedEntries = (KeyValuePair<string, VersionedValue>[])entries.Clone();
        Array.Sort(sortedEntries, EntryKeyOrder.Instance);
        var sortedSessions = (ClientSession[])sessions.Clone();
        Array.Sort(sortedSessions, ClientIdOrder.Instance);

        using var sink = new BufferedHash();
        sink.Advance(Varint.Write(sink.Reserve(2 * Varint.MaxLength), revision));
        sink.Advance(Varint.Write(sink.Reserve(Varint.MaxLength), (ulong)sortedEntries.Length));
        for (var i = 0; i < sortedEntries.Length; i++)
        {
            var key = sortedEntries[i].Key;
            var entry = sortedEntries[i].Value;
            var keyByteCount = StrictUtf8.Encoding.GetByteCount(key);
            var header = sink.Reserve(SnapshotFormat.MaxEntryHeaderLength(keyByteCount));
            sink.Advance(SnapshotFormat.WriteEntryHeader(header, key, keyByteCount, entry));
            sink.Append(entry.Value);
        }

        sink.Advance(Varint.Write(sink.Reserve(Varint.MaxLength), (ulong)sortedSessions.Length));
        for (var i = 0; i < sortedSessions.Length; i++)
        {
            var clientIdByteCount = StrictUtf8.Encoding.GetByteCount(sortedSessions[i].ClientId);
            var space = sink.Reserve(SnapshotFormat.MaxSessionLength(clientIdByteCount));
            sink.Advance(SnapshotFormat.WriteSession(space, sortedSessions[i], clientIdByteCount));
        }

        return Convert.ToHexStringLower(sink.Finish());
    }

    /// <summary>Collects small pieces into large hash updates, as the snapshot writer does for stream writes.</summary>
    private sealed class BufferedHash : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[] _buffer = new byte[SnapshotFormat.BufferSize];
        private int _used;

        /// <summary>At least <paramref name="size"/> free bytes to encode into; commit them with <see cref="Advance"/>.</summary>
        public Span<byte> Reserve(int size)
        {
            if (_buffer.Length - _used < size)
            {
                Flush();
                if (_buffer.Length < size)
                {
                    _buffer = new byte[size];
                }
            }

            return _buffer.AsSpan(_used);
        }

        public void Advance(int count) => _used += count;

        public void Append(byte[] bytes)
        {
            if (bytes.Length <= _buffer.Length - _used)
            {
                bytes.CopyTo(_buffer.AsSpan(_used));
                _used += bytes.Length;
            }
            else
            {
                Flush();
                _hash.AppendData(bytes);
            }
        }

        public byte[] Finish()
        {
            Flush();
            return _hash.GetHashAndReset();
        }

        public void Dispose() => _hash.Dispose();

        private void Flush()
        {
            _hash.AppendData(_buffer, 0, _used);
            _used = 0;
        }
    }

    private sealed class EntryKeyOrder : IComparer<KeyValuePair<string, VersionedValue>>
    {
        public static readonly EntryKeyOrder Instance = new();

        public int Compare(KeyValuePair<string, VersionedValue> x, KeyValuePair<string, VersionedValue> y) => string.CompareOrdinal(x.Key, y.Key);
    }

    private sealed class ClientIdOrder : IComparer<ClientSession>
    {
        public static readonly ClientIdOrder Instance = new();

        public int Compare(ClientSession x, ClientSession y) => string.CompareOrdinal(x.ClientId, y.ClientId);
    }
}
