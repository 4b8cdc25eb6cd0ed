namespace ReplicatedKv.Transport;

/// <summary>
/// One member as the host knows it: the numeric id the consensus core uses, the name operators write, where its
/// peer port is, where clients reach it (leader hints; null if not known) and whether it votes.
/// </summary>
public sealed record MemberInfo(int Id, string Name, Uri PeerUrl, string? ClientUrl, bool IsVoter = true);
