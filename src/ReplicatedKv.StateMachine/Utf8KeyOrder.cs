namespace ReplicatedKv.StateMachine;

/// <summary>
/// Orders keys by their UTF-8 bytes (ordinal), the order listing promises, without encoding them. UTF-8 byte
/// order is code point order; UTF-16 ordinal order differs from it only where a surrogate (a code point above
/// U+FFFF) meets a char in U+E000..U+FFFF, so only the first differing char needs a fix-up.
/// </summary>
public static class Utf8KeyOrder
{
    /// <summary>Negative, zero or positive as <paramref name="x"/> sorts before, equal to or after <paramref name="y"/>.</summary>
    public static int Compare(string x, string y)
    {
        var common = x.AsSpan().CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length.CompareTo(y.Length);
        }

        return CodePointRank(x[common]) - CodePointRank(y[common]);
    }

    // Surrogates move above every BMP char (their code points are above U+FFFF); U+E000..U+FFFF move down into
    // the gap the surrogates left. Order within each group is kept.
    private static int CodePointRank(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
}
