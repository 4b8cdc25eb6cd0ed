using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// Which member a peer's client certificate names. The certificate's chain is Kestrel's to check against the
/// peer CA; this only reads its subject alternative names: a DNS entry equal to a member's id, or a DNS or IP
/// entry equal to the host of a member's peer URL. The common name is ignored, as browsers and etcd ignore it
/// when SANs exist. A certificate naming no member, or more than one, names nobody.
/// </summary>
public static class CertificateMemberMap
{
    /// <summary>The id of the one member <paramref name="certificate"/> names, or null.</summary>
    public static int? MemberOf(X509Certificate2 certificate, ClusterMembers members)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(members);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return null;
        }

        var dnsNames = san.EnumerateDnsNames().ToArray();
        var addresses = san.EnumerateIPAddresses().ToArray();
        var named = members.Ids.Where(id => Names(id, members, dnsNames, addresses)).ToArray();
        return named.Length == 1 ? named[0] : null;
    }

    private static bool Names(int id, ClusterMembers members, string[] dnsNames, IPAddress[] addresses)
    {
        var peerHost = members.PeerUrlOf(id).IdnHost;
        if (dnsNames.Any(dns => dns.Equals(members.NameOf(id), StringComparison.OrdinalIgnoreCase) || dns.Equals(peerHost, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        return IPAddress.TryParse(peerHost.Trim('[', ']'), out var peerAddress) && addresses.Any(peerAddress.Equals);
    }
}
