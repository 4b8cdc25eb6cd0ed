using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// Which member a peer's client certificate names, by its subject alternative names. Certificates are made in
/// memory (self-signed; the chain is Kestrel's to check, not this mapping's).
/// </summary>
public sealed class CertificateMemberMapTests
{
    // n1 by IP, n2 and n3 by host name.
    private static readonly ClusterMembers Members =
        ClusterMembers.Parse("test-cluster", "n1", "n1=https://10.0.0.1:7101,n2=https://rkv2.internal:7101,n3=https://rkv3.internal:7101");

    [Fact]
    public void A_DNS_entry_equal_to_a_member_id_names_that_member()
    {
        using var certificate = Certificate(dns: ["n2"]);
        CertificateMemberMap.MemberOf(certificate, Members).Should().Be(2);
    }

    [Fact]
    public void A_DNS_entry_equal_to_a_members_peer_host_names_that_member()
    {
        using var certificate = Certificate(dns: ["RKV3.internal"]);
        CertificateMemberMap.MemberOf(certificate, Members).Should().Be(3);
    }

    [Fact]
    public void An_IP_entry_equal_to_a_members_peer_address_names_that_member()
    {
        using var certificate = Certificate(ips: [IPAddress.Parse("10.0.0.1")]);
        CertificateMemberMap.MemberOf(certificate, Members).Should().Be(1);
    }

    [Fact]
    public void Naming_one_member_by_both_id_and_host_still_names_that_member()
    {
        using var certificate = Certificate(dns: ["n2", "rkv2.internal"]);
        CertificateMemberMap.MemberOf(certificate, Members).Should().Be(2);
    }

    [Fact]
    public void On_one_shared_host_the_member_id_decides()
    {
        // Every member of a one-machine cluster has the same peer host, so each certificate names all of them by host.
        var sharedHost = ClusterMembers.Parse("test-cluster", "n1", "n1=https://127.0.0.1:7101,n2=https://127.0.0.1:7102,n3=https://127.0.0.1:7103");
        using var certificate = Certificate(dns: ["n3", "localhost"], ips: [IPAddress.Loopback]);
        CertificateMemberMap.MemberOf(certificate, sharedHost).Should().Be(3);
    }

    [Fact]
    public void On_one_shared_host_a_certificate_without_a_member_id_names_nobody()
    {
        var sharedHost = ClusterMembers.Parse("test-cluster", "n1", "n1=https://127.0.0.1:7101,n2=https://127.0.0.1:7102,n3=https://127.0.0.1:7103");
        using var certificate = Certificate(dns: ["localhost"], ips: [IPAddress.Loopback]);
        CertificateMemberMap.MemberOf(certificate, sharedHost).Should().BeNull();
    }

    [Fact]
    public void A_certificate_naming_no_member_names_nobody()
    {
        using var certificate = Certificate(dns: ["n4", "rkv4.internal"], ips: [IPAddress.Parse("10.0.0.9")]);
        CertificateMemberMap.MemberOf(certificate, Members).Should().BeNull();
    }

    [Fact]
    public void A_certificate_naming_two_members_names_nobody()
    {
        using var certificate = Certificate(dns: ["n2", "n3"]);
        CertificateMemberMap.MemberOf(certificate, Members).Should().BeNull();
    }

    [Fact]
    public void Only_the_common_name_naming_a_member_is_not_enough()
    {
        using var certificate = Certificate(commonName: "n2");
        CertificateMemberMap.MemberOf(certificate, Members).Should().BeNull();
    }

    [Fact]
    public void The_authenticator_refuses_a_connection_without_a_certificate_and_one_naming_this_node()
    {
        var authenticator = new ClientCertificateAuthenticator(Members);
        using var self = Certificate(dns: ["n1"]);
        using var peer = Certificate(dns: ["n2"]);

        authenticator.Authenticate(certificate: null).Refusal.Should().Be(PeerRefusals.Unauthenticated);
        authenticator.Authenticate(self).Refusal.Should().Be(PeerRefusals.Unauthenticated);
        authenticator.Authenticate(peer).Should().Be(PeerAuthentication.Member(2));
    }

    private static X509Certificate2 Certificate(string commonName = "rkv peer", string[]? dns = null, IPAddress[]? ips = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        if (dns is not null || ips is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dns ?? [])
            {
                san.AddDnsName(name);
            }

            foreach (var address in ips ?? [])
            {
                san.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
    }
}
