namespace ReplicatedKv.StateMachine;

/// <summary>
/// Keys in <see cref="Utf8KeyOrder"/>, so a listing page is a seek plus a walk instead of a sort. A two-level
/// B-tree: sorted chunks of at most <see cref="ChunkCapacity"/> keys, the chunks themselves in order. Inserting or
/// removing costs a binary search and a short array shift (about a microsecond at a million keys, mostly cache
/// misses on the keys compared); <see cref="ListingIndex"/> decides when that is paid.
/// </summary>
/// <remarks>
/// Chosen over <c>SortedSet&lt;string&gt;</c> because a SortedSet range view counts its whole range when created,
/// so a page near the start of a million keys would walk all of them; and it allocates a node per key.
/// </remarks>
internal sealed class SortedKeyIndex
{
    internal const int ChunkCapacity = 512;

    private readonly List<Chunk> _chunks = [];

    public int Count { get; private set; }

    /// <summary>Builds the index from keys already sorted and distinct, chunks three quarters full.</summary>
    public static SortedKeyIndex FromSorted(ReadOnlySpan<string> keys)
    {
        var index = new SortedKeyIndex();
        const int fill = ChunkCapacity * 3 / 4;
        for (var start = 0; start < keys.Length; start += fill)
        {
            var chunk = new Chunk();
            var part = keys.Slice(start, Math.Min(fill, keys.Length - start));
            part.CopyTo(chunk.Keys);
            chunk.Count = part.Length;
            index._chunks.Add(chunk);
        }

        index.Count = keys.Length;
        return index;
    }

    /// <summary>Adds a key; false when it is already indexed.</summary>
    public bool Add(string key)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add(new Chunk());
        }

        var c = ChunkFor(key);
        var chunk = _chunks[c];
        var position = ~chunk.Search(key);
        if (position < 0)
        {
            return false;
        }

        if (chunk.Count == ChunkCapacity)
        {
            var upper = chunk.SplitUpperHalf();
            _chunks.Insert(c + 1, upper);
            if (position > chunk.Count)
            {
                position -= chunk.Count;
                chunk = upper;
            }
        }

        chunk.Insert(position, key);
        Count++;
        return true;
    }

    /// <summary>Removes a key; false when it was not indexed.</summary>
    public bool Remove(string key)
    {
        if (_chunks.Count == 0)
        {
            return false;
        }

        var c = ChunkFor(key);
        var chunk = _chunks[c];
        var position = chunk.Search(key);
        if (position < 0)
        {
            return false;
        }

        chunk.RemoveAt(position);
        if (chunk.Count == 0)
        {
            _chunks.RemoveAt(c);
        }

        Count--;
        return true;
    }

    /// <summary>Walks the keys in order from the first one at or after <paramref name="lower"/>.</summary>
    public Enumerator From(string lower)
    {
        if (_chunks.Count == 0)
        {
            return new Enumerator(_chunks, 0, 0);
        }

        var c = ChunkFor(lower);
        var position = _chunks[c].Search(lower);
        return new Enumerator(_chunks, c, position < 0 ? ~position : position);
    }

    /// <summary>The chunk that holds <paramref name="key"/> or would: the last whose first key is not after it.</summary>
    private int ChunkFor(string key)
    {
        int low = 0, high = _chunks.Count - 1;
        while (low < high)
        {
            var middle = (low + high + 1) >>> 1;
            if (Utf8KeyOrder.Compare(_chunks[middle].Keys[0], key) <= 0)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    /// <summary>A forward cursor; invalid once the index changes (the node loop lists and applies, never both at once).</summary>
    public struct Enumerator(List<Chunk> chunks, int chunk, int position)
    {
        private int _chunk = chunk;
        private int _position = position - 1;

        public readonly string Current => chunks[_chunk].Keys[_position];

        public bool MoveNext()
        {
            _position++;
            while (_chunk < chunks.Count && _position >= chunks[_chunk].Count)
            {
                _chunk++;
                _position = 0;
            }

            return _chunk < chunks.Count;
        }
    }

    internal sealed class Chunk
    {
        public string[] Keys { get; } = new string[ChunkCapacity];

        public int Count { get; set; }

        /// <summary>The key's position, or the bitwise complement of where it would go.</summary>
        public int Search(string key)
        {
            int low = 0, high = Count - 1;
            while (low <= high)
            {
                var middle = (low + high) >>> 1;
                var order = Utf8KeyOrder.Compare(Keys[middle], key);
                if (order == 0)
                {
                    return middle;
                }

                if (order < 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }

            return ~low;
        }

        public void Insert(int position, string key)
        {
            Array.Copy(Keys, position, Keys, position + 1, Count - position);
            Keys[position] = key;
            Count++;
        }

        public void RemoveAt(int position)
        {
            Count--;
            Array.Copy(Keys, position + 1, Keys, position, Count - position);
            Keys[Count] = null!;
        }

        public Chunk SplitUpperHalf()
        {
            var upper = new Chunk();
            var half = Count / 2;
            Array.Copy(Keys, half, upper.Keys, 0, Count - half);
            Array.Clear(Keys, half, Count - half);
            upper.Count = Count - half;
            Count = half;
            return upper;
        }
    }
}
