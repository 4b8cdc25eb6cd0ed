namespace ReplicatedKv.Transport.Authentication;

/// <summary>Picks how peer streams prove their sender from what is configured.</summary>
public static class PeerAuthenticators
{
    /// <param name="members">The member list; identities are resolved against it.</param>
    /// <param name="secret">The shared peer secret, or null.</param>
    /// <param name="clientCertificates">
    /// True when the peer port runs TLS that requires a client certificate chained to the peer CA (Kestrel
    /// checks the chain; the certificate's SANs name the member).
    /// </param>
    /// <param name="time">The clock the secret's timestamps are checked against.</param>
    public static IPeerAuthenticator Create(ClusterMembers members, PeerSecret? secret, bool clientCertificates, TimeProvider time)
    {
        IPeerAuthenticator? bySecret = secret is null ? null : new SharedSecretAuthenticator(members, secret, time);
        IPeerAuthenticator? byCertificate = clientCertificates ? new ClientCertificateAuthenticator(members) : null;
        return (byCertificate, bySecret) switch
        {
            ({ } c, { } s) => new BothAuthenticators(c, s),
            ({ } c, null) => c,
            (null, { } s) => s,
            _ => new SelfNamedSenderAuthenticator(),
        };
    }
}
