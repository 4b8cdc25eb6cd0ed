using System.Net;
using System.Net.Sockets;

namespace ReplicatedKv.LocalCluster.Tests;

/// <summary>A --base-port whose client, peer and admin ports are all free right now.</summary>
internal static class FreePorts
{
    public static int BaseFor(int nodes)
    {
        // Below Linux's ephemeral range (32768+), where the other test assemblies' port-0 listeners and every
        // outgoing connection take their ports; random, so parallel runs rarely even try the same ports.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var basePort = Random.Shared.Next(20_000, 32_000);
            var ports = Enumerable.Range(0, nodes).SelectMany(i => new[] { basePort + i, basePort + 100 + i, basePort + 200 + i });
            if (ports.All(IsFree))
            {
                return basePort;
            }
        }

        throw new InvalidOperationException("no free block of ports found below 32000");
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
