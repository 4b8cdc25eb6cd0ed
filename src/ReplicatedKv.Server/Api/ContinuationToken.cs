using System.Buffers.Text;
using System.Text;

namespace ReplicatedKv.Server.Api;

/// <summary>
/// The opaque continuation token of a listing: base64url of a format byte and the last key returned, UTF-8. A
/// key rather than a position, so the next page continues correctly however the keys changed in between.
/// </summary>
internal static class ContinuationToken
{
    private const byte Format = 1;

    public static string Encode(string lastKey)
    {
        var bytes = new byte[1 + Encoding.UTF8.GetByteCount(lastKey)];
        bytes[0] = Format;
        Encoding.UTF8.GetBytes(lastKey, bytes.AsSpan(1));
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The key to continue after; null when <paramref name="token"/> is not one this server made.</summary>
    public static string? TryDecode(string token)
    {
        if (!Base64Url.IsValid(token, out var length) || length < 2)
        {
            return null;
        }

        var bytes = new byte[length];
        if (!Base64Url.TryDecodeFromChars(token, bytes, out var written) || written != length || bytes[0] != Format)
        {
            return null;
        }

        var key = bytes.AsSpan(1);
        return System.Text.Unicode.Utf8.IsValid(key) ? Encoding.UTF8.GetString(key) : null;
    }
}
