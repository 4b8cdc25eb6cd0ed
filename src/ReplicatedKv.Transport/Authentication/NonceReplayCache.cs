namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// The nonces of stream openings seen while their timestamps are still accepted, so a recorded opening cannot be
/// replayed. Bounded: when full of live nonces it refuses new ones (only holders of the secret get this far, and
/// members open a handful of streams, so a full cache means something is wrong and failing closed is right).
/// </summary>
internal sealed class NonceReplayCache(int capacity)
{
    private readonly Dictionary<string, long> _expiresAtMs = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Records <paramref name="nonce"/> until <paramref name="expiresAtMs"/>; false if it was seen already or the cache is full.</summary>
    public bool TryRecord(string nonce, long expiresAtMs, long nowMs)
    {
        lock (_lock)
        {
            if (_expiresAtMs.TryGetValue(nonce, out var expires) && expires >= nowMs)
            {
                return false;
            }

            if (_expiresAtMs.Count >= capacity)
            {
                foreach (var (key, at) in _expiresAtMs)
                {
                    if (at < nowMs)
                    {
                        _expiresAtMs.Remove(key);
                    }
                }

                if (_expiresAtMs.Count >= capacity)
                {
                    return false;
                }
            }

            _expiresAtMs[nonce] = expiresAtMs;
            return true;
        }
    }
}
