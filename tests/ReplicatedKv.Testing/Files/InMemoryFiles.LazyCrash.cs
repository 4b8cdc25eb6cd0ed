namespace ReplicatedKv.Testing.Files;

/// <summary>
/// The seeded crash of a real page cache, after LazyFS (which etcd's robustness tests run on): what a power cut
/// leaves of the writes and folder changes no fsync covered, and damage to the medium itself.
/// </summary>
/// <remarks>
/// <para>
/// Files: the kernel writes dirty pages back whenever it likes, one whole page at a time, so after a crash each
/// 4 KiB page of a file holds what it held at some moment since the file's last fdatasync: its synced bytes, its
/// newest bytes, or any state in between; pages are independent of each other. The length too is the one of any
/// moment since then (a grown file whose new pages never reached the disk reads zeros there).
/// </para>
/// <para>
/// Folders: a journaling file system commits name changes in the order they were made, so of each folder's
/// creations, renames and deletions since its last fsync a prefix survives (a rename across folders is a change
/// in each). A file whose creation is lost is gone, whatever was synced to it.
/// </para>
/// </remarks>
public sealed partial class InMemoryFiles
{
    /// <summary>The unit the page cache writes back: a page has either all or none of one write's bytes in it.</summary>
    public const int PageSize = 4096;

    // Name changes no folder fsync covered yet, in order: the name now refers to Node, or (null) to nothing.
    private readonly List<(string Directory, string Path, Node? Node)> _unsyncedNames = [];

    /// <summary>
    /// A power cut as a real page cache suffers it: every page of every file written since its last sync holds one
    /// of the contents it had since then, every folder keeps a prefix of its unsynced name changes, all chosen by
    /// <paramref name="random"/>. Synced bytes and names always survive. Files open until now are dead.
    /// </summary>
    public void Crash(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        lock (_gate)
        {
            var names = new Dictionary<string, Node>(_durableNames, StringComparer.Ordinal);
            foreach (var folder in _unsyncedNames.GroupBy(change => change.Directory))
            {
                foreach (var (_, path, node) in folder.Take(random.Next(0, folder.Count() + 1)))
                {
                    if (node is null)
                    {
                        names.Remove(path);
                    }
                    else
                    {
                        names[path] = node;
                    }
                }
            }

            foreach (var node in names.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => n.Value).Distinct())
            {
                node.KeepSomeUnsyncedPages(random);
            }

            // What survived is now what is on disk: the plain crash that follows keeps exactly that.
            _durableNames = names;
            CrashLocked();
        }
    }

    /// <summary>Bytes in the file now (written, synced or not); <see cref="FileNotFoundException"/> when there is none.</summary>
    public long Length(string path)
    {
        lock (_gate)
        {
            return Existing(Normalize(path)).Length;
        }
    }

    /// <summary>Bytes of the file its last fdatasync made durable (a crash keeps at least these, if the name survives).</summary>
    public long SyncedLength(string path)
    {
        lock (_gate)
        {
            return Existing(Normalize(path)).SyncedLength;
        }
    }

    /// <summary>The medium went bad: flips bit <paramref name="bit"/> of byte <paramref name="offset"/>, in what is written and in what is synced.</summary>
    public void BitFlip(string path, long offset, int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bit, 7);
        lock (_gate)
        {
            Existing(Normalize(path)).Damage(offset, 1, b => (byte)(b ^ (1 << bit)));
        }
    }

    /// <summary>The medium went bad: <paramref name="length"/> bytes from <paramref name="offset"/> read zeros, written and synced alike.</summary>
    public void ZeroRange(string path, long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_gate)
        {
            Existing(Normalize(path)).Damage(offset, length, _ => 0);
        }
    }

    private void RecordName(string path, Node? node) => _unsyncedNames.Add((Path.GetDirectoryName(path) ?? string.Empty, path, node));

    private sealed partial class Node
    {
        // The writes (Bytes) and truncations (Bytes null, Offset the new length) since the last sync, in order.
        private readonly List<Change> _unsynced = [];

        public long Length => _length;

        public long SyncedLength => _durable.Length;

        /// <summary>Replaces the synced content by a crash's pick: each touched page and the length from any moment since the sync.</summary>
        public void KeepSomeUnsyncedPages(Random random)
        {
            if (_unsynced.Count == 0)
            {
                return;
            }

            // The pages each change touched, and when each page is caught (after how many changes).
            var lengths = new List<long> { _durable.Length };
            var touched = new SortedSet<long>();
            foreach (var change in _unsynced)
            {
                var before = lengths[^1];
                var (from, to) = change.Bytes is { } bytes ? (change.Offset, change.Offset + bytes.Length) : (Math.Min(before, change.Offset), Math.Max(before, change.Offset));
                for (var page = from / PageSize; page * PageSize < to; page++)
                {
                    touched.Add(page);
                }

                lengths.Add(change.Bytes is { } b ? Math.Max(before, change.Offset + b.Length) : change.Offset);
            }

            var caughtAfter = touched.ToDictionary(page => page, _ => random.Next(0, _unsynced.Count + 1));
            var length = lengths[random.Next(0, lengths.Count)];
            var changes = _unsynced.ToArray();

            // Replay from the synced content, copying each page out at the moment it was caught.
            var result = new byte[(int)lengths.Max()];
            _durable.CopyTo(result, 0);
            Revert();
            for (var step = 0; step <= changes.Length; step++)
            {
                foreach (var (page, _) in caughtAfter.Where(c => c.Value == step))
                {
                    var start = (int)(page * PageSize);
                    var end = Math.Min(result.Length, start + PageSize);
                    var now = _data.AsSpan(0, _length);
                    result.AsSpan(start, end - start).Clear();
                    if (start < now.Length)
                    {
                        now[start..Math.Min(end, now.Length)].CopyTo(result.AsSpan(start));
                    }
                }

                if (step < changes.Length)
                {
                    if (changes[step].Bytes is { } bytes)
                    {
                        Apply(changes[step].Offset, bytes);
                    }
                    else
                    {
                        Cut(changes[step].Offset);
                    }
                }
            }

            _durable = result.AsSpan(0, (int)length).ToArray();
            _unsynced.Clear();
        }

        /// <summary>Rewrites <paramref name="count"/> bytes from <paramref name="offset"/> (those that exist) in the written and the synced content.</summary>
        public void Damage(long offset, int count, Func<byte, byte> corrupt)
        {
            for (var i = offset; i < offset + count; i++)
            {
                if (i < _length)
                {
                    _data[i] = corrupt(_data[i]);
                }

                if (i < _durable.Length)
                {
                    _durable[i] = corrupt(_durable[i]);
                }
            }
        }

        private readonly record struct Change(long Offset, byte[]? Bytes);
    }
}
