using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ReplicatedKv.Chaos.Tests.Proxies;

/// <summary>Plain TCP ends for proxy tests: a listener standing in for a node, clients standing in for its peers.</summary>
internal static class LoopbackSockets
{
    /// <summary>Only against a hang: no test waits this long unless the proxy is broken.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static TcpListener Listen(int port = 0)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return listener;
    }

    public static int PortOf(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    public static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(HangGuard);
        return client;
    }

    public static async Task<TcpClient> AcceptAsync(TcpListener listener) => await listener.AcceptTcpClientAsync().WaitAsync(HangGuard);

    public static async Task SendAsync(TcpClient client, string text) =>
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask().WaitAsync(HangGuard);

    /// <summary>Exactly <paramref name="length"/> bytes as text, or what came before the stream ended.</summary>
    public static async Task<string> ReceiveAsync(TcpClient client, int length)
    {
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await client.GetStream().ReadAsync(buffer.AsMemory(read)).AsTask().WaitAsync(HangGuard);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    /// <summary>True when the connection is over: the other end closed or reset it.</summary>
    public static async Task<bool> EndsAsync(TcpClient client)
    {
        try
        {
            return await client.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(HangGuard) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
