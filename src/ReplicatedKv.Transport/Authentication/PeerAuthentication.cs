namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// What a peer stream's connection proved about its sender, decided once when the stream opens and never from
/// the fields of the batches that follow.
/// </summary>
public readonly record struct PeerAuthentication
{
    private PeerAuthentication(int memberId, bool verified, string? refusal, string? detail)
    {
        MemberId = memberId;
        Verified = verified;
        Refusal = refusal;
        Detail = detail;
    }

    /// <summary>The member the connection proved to be (0 unless <see cref="Verified"/>).</summary>
    public int MemberId { get; }

    /// <summary>True when a secret or certificate proved the sender; its batches must then name <see cref="MemberId"/>.</summary>
    public bool Verified { get; }

    /// <summary>Set when the stream is refused: the <c>reason</c> label of <c>rkv_peer_rejected_total</c>.</summary>
    public string? Refusal { get; }

    /// <summary>Why it was refused, for this node's log only: a stranger is told nothing that helps it guess.</summary>
    public string? Detail { get; }

    public bool IsRefused => Refusal is not null;

    public static PeerAuthentication Member(int memberId) => new(memberId, verified: true, null, null);

    /// <summary>Nothing is configured to prove a sender (no secret, no peer TLS): each batch names its own, as before.</summary>
    public static PeerAuthentication Unverified { get; } = new(0, verified: false, null, null);

    public static PeerAuthentication Refused(string detail) => new(0, verified: false, PeerRefusals.Unauthenticated, detail);
}
