using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>Cluster.Status shows the configuration in force: where it was decided, and each member's role in it.</summary>
public sealed class ConfigurationStatusTests
{
    [Fact]
    public async Task A_bootstrapped_cluster_reports_the_configuration_from_its_peers_with_every_member_a_voter()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();

        for (var node = 0; node < 3; node++)
        {
            var status = await cluster.StatusAsync(node);

            status.ConfigurationSlot.Should().Be(0, "the bootstrap configuration comes from --peers, not from a slot");
            status.PendingConfigurationSlot.Should().Be(0);
            status.MemberRole.Should().Be(MemberRole.Voter);
            status.PeerUrl.Should().NotBeEmpty();
            status.Peers.Should().HaveCount(2).And.OnlyContain(p => p.MemberRole == MemberRole.Voter);
            cluster.Settings[node].Peers.Should().Contain($"{status.NodeId}={status.PeerUrl}");
        }
    }
}
