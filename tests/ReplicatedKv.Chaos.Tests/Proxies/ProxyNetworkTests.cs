using ReplicatedKv.Chaos.Cluster;
using static ReplicatedKv.Chaos.Tests.Proxies.LoopbackSockets;

namespace ReplicatedKv.Chaos.Tests.Proxies;

/// <summary>A <see cref="ProxyNetwork"/> with plain listeners on the nodes' peer ports in place of servers.</summary>
public sealed class ProxyNetworkTests
{
    [Fact]
    public async Task Each_node_knows_every_peer_by_its_own_proxy_and_itself_by_its_real_peer_url()
    {
        await using var network = ProxyNetwork.Create(await RunSlot.ClaimAsync(TextWriter.Null), 3, "test");

        var peers = Enumerable.Range(0, 3).Select(node => ChaosCluster.PeersFor(network, node)).ToArray();

        peers.Should().OnlyHaveUniqueItems("no two nodes share a proxy");
        foreach (var node in network.Nodes)
        {
            var members = peers[node.Index].Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => new Uri(p[1]));
            members.Keys.Should().BeEquivalentTo("n1", "n2", "n3");
            members[node.Id].Should().Be(node.PeerUrl);
            members.Where(m => m.Key != node.Id).Should().OnlyContain(m => m.Value.Host == "127.0.0.1" && m.Value.Port != network.Nodes.Single(n => n.Id == m.Key).PeerPort);
        }
    }

    [Fact]
    public async Task Cutting_one_direction_cuts_that_direction_only_and_healing_restores_it()
    {
        await using var network = ProxyNetwork.Create(await RunSlot.ClaimAsync(TextWriter.Null), 2, "test");
        var node1 = Listen(network.Nodes[0].PeerPort);
        var node2 = Listen(network.Nodes[1].PeerPort);
        using var oneToTwo = await ConnectAsync(network.PeerUrlFor(0, 1).Port);
        using var twoToOne = await ConnectAsync(network.PeerUrlFor(1, 0).Port);
        using var atNode2 = await AcceptAsync(node2);
        using var atNode1 = await AcceptAsync(node1);

        await network.CutAsync([new LinkCut(0, 1)]);

        (await EndsAsync(oneToTwo)).Should().BeTrue("n1→n2 is cut");
        await SendAsync(twoToOne, "still");
        (await ReceiveAsync(atNode1, 5)).Should().Be("still", "n2→n1 is not cut");

        await network.HealAsync();

        using var again = await ConnectAsync(network.PeerUrlFor(0, 1).Port);
        await SendAsync(again, "healed");
        using var againAtNode2 = await AcceptAsync(node2);
        (await ReceiveAsync(againAtNode2, 6)).Should().Be("healed");
        node1.Stop();
        node2.Stop();
    }

    [Fact]
    public async Task A_delay_set_on_one_link_holds_that_link_only()
    {
        await using var network = ProxyNetwork.Create(await RunSlot.ClaimAsync(TextWriter.Null), 3, "test");
        var node3 = Listen(network.Nodes[2].PeerPort);
        network.SetDelay(0, 2, TimeSpan.FromSeconds(3));
        using var fromNode1 = await ConnectAsync(network.PeerUrlFor(0, 2).Port);
        using var first = await AcceptAsync(node3);
        using var fromNode2 = await ConnectAsync(network.PeerUrlFor(1, 2).Port);
        using var second = await AcceptAsync(node3);

        await SendAsync(fromNode1, "1");
        await SendAsync(fromNode2, "2");
        var delayed = ReceiveAsync(first, 1);
        var direct = ReceiveAsync(second, 1);

        (await Task.WhenAny(delayed, direct)).Should().BeSameAs(direct);
        (await delayed).Should().Be("1");
        node3.Stop();
    }
}
