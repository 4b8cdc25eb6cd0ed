namespace ReplicatedKv.Transport;

/// <summary>
/// What the host keeps in a configuration member's opaque payload (Consensus <c>Member.Payload</c>): its name, peer
/// URL and client URL, so every replica learns them from the log with the configuration itself. Versioned by its
/// first line; fields are newline-separated (no name or URL holds a newline). An empty payload (the bootstrap
/// configuration, which the core builds from ids alone) or one this version cannot read decodes to null, and the
/// host falls back to its member directory.
/// </summary>
public static class MemberPayload
{
    private const string Version1 = "rkv-member/1";

    private const string AutoPromote = "auto-promote";

    /// <param name="name">The member's name.</param>
    /// <param name="peerUrl">Its peer URL.</param>
    /// <param name="clientUrl">Its client URL, or null.</param>
    /// <param name="autoPromote">
    /// The leader promotes it to voter once it has caught up. Kept in the log, not in one leader's memory, so a new
    /// leader finishes what the old one was asked.
    /// </param>
    public static string Encode(string name, Uri peerUrl, string? clientUrl, bool autoPromote = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(peerUrl);
        return $"{Version1}\n{name}\n{Trim(peerUrl)}\n{clientUrl ?? ""}\n{(autoPromote ? AutoPromote : "")}";
    }

    /// <summary>What a payload names, or null when it is empty or not one this version writes.</summary>
    public static Decoded? Decode(string payload)
    {
        var parts = (payload ?? "").Split('\n');
        if (parts.Length != 5 || parts[0] != Version1 || !ClusterMembers.IsValidName(parts[1]) ||
            !ClusterMembers.TryParseUrl(parts[2], out var peerUrl))
        {
            return null;
        }

        return new Decoded(parts[1], peerUrl, parts[3].Length > 0 ? parts[3] : null, parts[4] == AutoPromote);
    }

    /// <summary>A decoded payload.</summary>
    public sealed record Decoded(string Name, Uri PeerUrl, string? ClientUrl, bool AutoPromote);

    /// <summary>A URL as members list it: no trailing slash.</summary>
    public static string Trim(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.ToString().TrimEnd('/');
    }
}
