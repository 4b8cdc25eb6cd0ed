using System.Net.Sockets;
using System.Text;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// A hostile neighbour with many sockets: a flood of idle connections and a client that trickles its headers.
/// The node keeps serving the clients it has, refuses what it cannot afford, and closes what sends nothing useful.
/// </summary>
public sealed class ConnectionFloodTests : IAsyncLifetime
{
    private const int MaxClientConnections = 16;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3, s => s with
        {
            MaxClientConnections = MaxClientConnections,
            IdleConnectionTimeout = TimeSpan.FromSeconds(1),
            RequestHeadersTimeout = TimeSpan.FromSeconds(1),
        }, withAdminPorts: true);
        await _cluster.WaitForLeaderAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_flood_of_idle_connections_is_refused_past_the_cap_while_a_connected_client_keeps_writing()
    {
        var client = _cluster.Client(0);
        await client.SetAsync("before-flood", "1");
        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < MaxClientConnections * 4; i++)
            {
                flood.Add(await ConnectAsync(_cluster.Settings[0].ClientUrl));
            }

            // Written through node 0 over the connection it already had, and decided with its peers: the peer port
            // has a cap of its own, so the flood on the client port cannot starve consensus.
            await client.SetAsync("during-flood", "2");
            (await client.GetAsync("during-flood")).Should().Be("2");

            var scrape = await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(0), s => s.Has("rkv_connections_refused_total", "port=\"client\""));
            scrape.Value("rkv_connections_refused_total", "port=\"client\"").Should().BeGreaterThan(0);
        }
        finally
        {
            flood.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_connection_that_never_sends_a_request_is_closed_by_the_node()
    {
        using var idle = await ConnectAsync(_cluster.Settings[0].ClientUrl);

        (await ReadUntilClosedAsync(idle, TimeSpan.FromSeconds(30))).Should().BeTrue("the node closes a connection that stays idle past idle-connection-timeout");
    }

    [Fact]
    public async Task A_client_that_trickles_its_headers_is_cut_off_before_it_finishes()
    {
        using var slow = await ConnectAsync(_cluster.Settings[0].ClientUrl);
        await slow.SendAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        await slow.SendAsync(SettingsFrame());

        // A HEADERS frame announcing 200 bytes of header block, sent one byte every 100 ms: 20 s if allowed to finish.
        var header = new byte[] { 0, 0, 200, 0x1, 0x4, 0, 0, 0, 1 };
        await slow.SendAsync(header);
        var closed = false;
        for (var i = 0; i < 200 && !closed; i++)
        {
            try
            {
                await slow.SendAsync(new byte[] { 0x82 });
            }
            catch (SocketException)
            {
                closed = true;
                break;
            }

            closed = await ReadUntilClosedAsync(slow, TimeSpan.FromMilliseconds(100));
        }

        closed.Should().BeTrue("request-headers-timeout bounds how long a request's headers may take");
        (await _cluster.Client(0).GetAsync("anything")).Should().BeNull("the node still serves everyone else");
    }

    private static async Task<Socket> ConnectAsync(Uri url)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(url.Host, url.Port);
        return socket;
    }

    // An empty SETTINGS frame: what a real HTTP/2 client sends right after the preface.
    private static byte[] SettingsFrame() => [0, 0, 0, 0x4, 0, 0, 0, 0, 0];

    /// <summary>True once the peer closed or reset the connection; false if it is still open after <paramref name="wait"/>.</summary>
    private static async Task<bool> ReadUntilClosedAsync(Socket socket, TimeSpan wait)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
