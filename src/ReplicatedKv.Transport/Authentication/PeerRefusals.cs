namespace ReplicatedKv.Transport.Authentication;

/// <summary>The <c>reason</c> labels the peer service gives refused streams and batches (rkv_peer_rejected_total).</summary>
public static class PeerRefusals
{
    /// <summary>The stream did not prove it comes from a member (no or bad secret, no or unknown certificate, wrong cluster id).</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>An authenticated stream carried a batch naming another sender or cluster than the one it proved.</summary>
    public const string WrongSender = "wrong_sender";

    /// <summary>A batch named a sender that is not another member (only without authentication).</summary>
    public const string UnknownSender = "unknown_sender";

    /// <summary>A message carried an entry larger than a log record holds.</summary>
    public const string OverLimit = "over_limit";
}
