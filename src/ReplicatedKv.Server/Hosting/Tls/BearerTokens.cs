using System.Security.Cryptography;
using System.Text;

namespace ReplicatedKv.Server.Hosting.Tls;

/// <summary>The accepted bearer tokens of an --auth-token-file: one per line; blank lines and lines starting with # are skipped.</summary>
internal sealed class BearerTokens
{
    private const string Scheme = "Bearer ";
    private readonly byte[][] _hashes;

    private BearerTokens(byte[][] hashes)
    {
        _hashes = hashes;
    }

    public static BearerTokens Load(string[] paths)
    {
        var tokens = File.ReadAllLines(paths[0])
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToArray();

        // An empty file would lock every client out; that is a mistake, not a policy.
        return tokens.Length > 0 ? new BearerTokens([.. tokens.Select(Hash)]) : throw new FormatException($"'{paths[0]}' holds no token");
    }

    /// <summary>True if <paramref name="authorization"/> is <c>Bearer &lt;one of the tokens&gt;</c>.</summary>
    public bool Accepts(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashes of equal length compared in fixed time, so the answer's timing tells nothing about a token.
        var presented = Hash(authorization[Scheme.Length..].Trim());
        var accepted = false;
        foreach (var hash in _hashes)
        {
            accepted |= CryptographicOperations.FixedTimeEquals(hash, presented);
        }

        return accepted;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
