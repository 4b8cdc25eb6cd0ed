namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// The model of one key at a point of a candidate linearization. A write is named by its index in the key's write
/// table (values are unique, so a value names its write); two orders that leave the same write current with the same
/// knowledge are the same state, which is what lets the search memoize configurations.
/// </summary>
/// <param name="Current">The write whose value the key holds, or <see cref="Absent"/>, or <see cref="Unobserved"/>.</param>
/// <param name="CurrentVersion">The current write's version when known (from its reply, a read, or a guard); 0 when not.</param>
/// <param name="MaxVersion">The highest version known to have been applied to the key so far.</param>
internal readonly record struct KeyState(int Current, ulong CurrentVersion, ulong MaxVersion)
{
    public const int Absent = -1;

    /// <summary>
    /// Some write of unknown outcome that no read ever saw. Such writes cannot be told apart by anything later in the
    /// history, so they share one name and the search does not try each of them separately.
    /// </summary>
    public const int Unobserved = -2;

    public static KeyState Initial => new(Absent, 0, 0);

    public bool IsPresent => Current != Absent;

    public ulong Hash() =>
        Mix((ulong)(uint)Current ^ Mix(CurrentVersion ^ 0x9E3779B97F4A7C15UL) ^ Mix(MaxVersion + 0xD1B54A32D192ED03UL));

    /// <summary>A 64-bit finalizer (MurmurHash3's): nearby inputs land far apart.</summary>
    public static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }
}
