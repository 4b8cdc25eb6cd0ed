using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// Which member a peer's client certificate names. The certificate's chain is Kestrel's to check against the
/// peer CA; this only reads its subject alternative names: a DNS entry equal to a member's id names that member;
/// failing any such entry, a DNS or IP entry equal to the host of a member's peer URL does. The common name is
/// ignored, as browsers and etcd ignore it when SANs exist. A certificate naming no member, or more than one (by
/// id, or by host when no id is named), names nobody.
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

        // A member id is the stronger name: members often share a host (every node of a loopback or one-machine
        // cluster has 127.0.0.1 in its certificate), so the peer-URL host decides only when no id is named.
        var byId = members.Ids.Where(id => dnsNames.Any(dns => dns.Equals(members.NameOf(id), StringComparison.OrdinalIgnoreCase))).ToArray();
        if (byId.Length > 0)
        {
            return byId.Length == 1 ? byId[0] : null;
        }

        var byHost = members.Ids.Where(id => NamesHost(members.PeerUrlOf(id).IdnHost, dnsNames, addresses)).ToArray();
        return byHost.Length == 1 ? byHost[0] : null;
    }

    private static bool NamesHost(string peerHost, string[] dnsNames, IPAddress[] addresses) =>
        dnsNames.Any(dns => dns.Equals(peerHost, StringComparison.OrdinalIgnoreCase)) ||
        (IPAddress.TryParse(peerHost.Trim('[', ']'), out var peerAddress) && addresses.Any(peerAddress.Equals));
}
