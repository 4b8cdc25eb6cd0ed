using System.Text;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// The cluster's shared peer secret. Its <see cref="ToString"/> hides the value, so logging settings that hold
/// it (records print every property) cannot leak it.
/// </summary>
public sealed class PeerSecret
{
    /// <summary>Fewer bytes than this are guessable; <c>openssl rand -hex 32</c> gives 64.</summary>
    public const int MinBytes = 16;

    private readonly byte[] _key;

    private PeerSecret(byte[] key) => _key = key;

    internal ReadOnlySpan<byte> Key => _key;

    /// <summary>The secret as written in a file or variable; surrounding white space (a file's final newline) is not part of it.</summary>
    public static PeerSecret FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var key = Encoding.UTF8.GetBytes(text.Trim());
        return key.Length < MinBytes
            ? throw new FormatException($"the peer secret has {key.Length} bytes; it needs at least {MinBytes}")
            : new PeerSecret(key);
    }

    public override string ToString() => "(peer secret)";
}
