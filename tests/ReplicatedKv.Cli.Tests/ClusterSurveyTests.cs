namespace ReplicatedKv.Cli.Tests;

/// <summary>
/// Where status looks for a member whose advertised client URL does not answer: inside a compose container that URL
/// names the host's published port, and the member is reachable at its peer host on the container's client port.
/// </summary>
public sealed class ClusterSurveyTests
{
    [Fact]
    public void A_member_is_looked_for_at_its_peer_host_on_the_port_that_answered()
    {
        ClusterSurvey.PeerHostFallback("http://10.231.3.12:7101", new Uri("http://127.0.0.1:7001"))
            .Should().Be(new Uri("http://10.231.3.12:7001"));
        ClusterSurvey.PeerHostFallback("https://rkv-n2:7101", new Uri("https://127.0.0.1:7001"))
            .Should().Be(new Uri("https://rkv-n2:7001"));
    }

    [Fact]
    public void A_peer_url_that_is_no_url_gives_no_fallback()
    {
        ClusterSurvey.PeerHostFallback("", new Uri("http://127.0.0.1:7001")).Should().BeNull();
        ClusterSurvey.PeerHostFallback("not a url", new Uri("http://127.0.0.1:7001")).Should().BeNull();
    }
}
