using System.Text;

namespace ReplicatedKv.StateMachine;

/// <summary>
/// UTF-8 that refuses what it cannot represent exactly (lone surrogates, malformed bytes) instead of
/// substituting U+FFFD: a key must come back from the wire as the very string that went in.
/// </summary>
internal static class StrictUtf8
{
    public static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Byte count of <paramref name="text"/>; throws <see cref="ArgumentException"/> for text with lone surrogates.</summary>
    public static int GetByteCount(string text, string paramName)
    {
        try
        {
            return Encoding.GetByteCount(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("the text is not valid UTF-16 (it holds a lone surrogate)", paramName, e);
        }
    }

    /// <summary>Decodes <paramref name="bytes"/>, or returns null when they are not valid UTF-8.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.GetString(bytes) : null;
}
