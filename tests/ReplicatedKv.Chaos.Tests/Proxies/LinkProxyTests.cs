using System.Net.Sockets;
using ReplicatedKv.Chaos.Cluster;
using static ReplicatedKv.Chaos.Tests.Proxies.LoopbackSockets;

namespace ReplicatedKv.Chaos.Tests.Proxies;

/// <summary>The TCP proxy a <see cref="ProxyNetwork"/> puts on each directed peer link, against plain sockets.</summary>
public sealed class LinkProxyTests
{
    [Fact]
    public async Task Forwards_bytes_both_ways_and_passes_on_the_end_of_the_stream()
    {
        var node = Listen();
        await using var proxy = new LinkProxy(PortOf(node));
        using var peer = await ConnectAsync(proxy.Port);
        using var accepted = await AcceptAsync(node);

        await SendAsync(peer, "ping");
        (await ReceiveAsync(accepted, 4)).Should().Be("ping");
        await SendAsync(accepted, "pong");
        (await ReceiveAsync(peer, 4)).Should().Be("pong");
        peer.Client.Shutdown(SocketShutdown.Send);
        (await EndsAsync(accepted)).Should().BeTrue("the peer's end of stream reaches the node");
        node.Stop();
    }

    [Fact]
    public async Task A_cut_resets_live_connections_and_new_ones_reach_nothing_until_healed()
    {
        var node = Listen();
        await using var proxy = new LinkProxy(PortOf(node));
        using var live = await ConnectAsync(proxy.Port);
        using var liveAtNode = await AcceptAsync(node);
        await SendAsync(live, "up");
        (await ReceiveAsync(liveAtNode, 2)).Should().Be("up");

        proxy.Cut();

        (await EndsAsync(live)).Should().BeTrue("a cut ends the connections through it");
        (await EndsAsync(liveAtNode)).Should().BeTrue("at both ends");
        using var duringCut = await ConnectAsync(proxy.Port);
        await SendAsync(duringCut, "lost");

        proxy.Heal();

        (await EndsAsync(duringCut)).Should().BeTrue("a connection whose bytes were dropped is no use after the heal");
        using var afterHeal = await ConnectAsync(proxy.Port);
        await SendAsync(afterHeal, "back");
        using var nextAtNode = await AcceptAsync(node);
        (await ReceiveAsync(nextAtNode, 4)).Should().Be("back", "the connection made during the cut never reached the node");
        node.Stop();
    }

    [Fact]
    public async Task A_delayed_link_delivers_after_an_undelayed_one_and_keeps_its_own_order()
    {
        var node = Listen();
        await using var slow = new LinkProxy(PortOf(node)) { Delay = TimeSpan.FromSeconds(3) };
        await using var fast = new LinkProxy(PortOf(node));
        using var viaSlow = await ConnectAsync(slow.Port);
        using var first = await AcceptAsync(node);
        using var viaFast = await ConnectAsync(fast.Port);
        using var second = await AcceptAsync(node);

        await SendAsync(viaSlow, "1");
        await SendAsync(viaSlow, "2");
        await SendAsync(viaSlow, "3");
        await SendAsync(viaFast, "f");
        var fromSlow = ReceiveAsync(first, 3);
        var fromFast = ReceiveAsync(second, 1);

        (await Task.WhenAny(fromSlow, fromFast)).Should().BeSameAs(fromFast, "bytes sent earlier on the delayed link arrive later");
        (await fromFast).Should().Be("f");
        (await fromSlow).Should().Be("123");
        node.Stop();
    }

    [Fact]
    public async Task Disposing_ends_live_connections_and_stops_listening()
    {
        var node = Listen();
        var proxy = new LinkProxy(PortOf(node));
        using var peer = await ConnectAsync(proxy.Port);
        using var accepted = await AcceptAsync(node);

        await proxy.DisposeAsync();

        (await EndsAsync(peer)).Should().BeTrue();
        (await EndsAsync(accepted)).Should().BeTrue();
        await FluentActions.Awaiting(() => ConnectAsync(proxy.Port)).Should().ThrowAsync<SocketException>("nothing listens there any more");
        node.Stop();
    }

    [Fact]
    public async Task A_link_whose_node_is_down_resets_the_connection()
    {
        var node = Listen();
        var port = PortOf(node);
        node.Stop();
        await using var proxy = new LinkProxy(port);

        // The proxy may reset the connection before the connect itself has returned: that is the same answer.
        TcpClient peer;
        try
        {
            peer = await ConnectAsync(proxy.Port);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return;
        }

        using (peer)
        {
            (await EndsAsync(peer)).Should().BeTrue("nothing listens behind the proxy, as a refused connection");
        }
    }
}
