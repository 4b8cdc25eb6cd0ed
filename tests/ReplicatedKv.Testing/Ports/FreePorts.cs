using System.Net;
using System.Net.Sockets;

namespace ReplicatedKv.Testing.Ports;

/// <summary>Loopback TCP ports that are free right now, for servers a test is about to start.</summary>
public static class FreePorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports the kernel picked (from its ephemeral range). Every listener is held
    /// until all are chosen, which keeps the ports distinct; a race with another program is possible but shows up at
    /// once as a server that cannot listen.
    /// </summary>
    public static int[] Pick(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>
    /// A base port for <paramref name="nodes"/> nodes numbered the way rkv-local's <c>--base-port</c> numbers them:
    /// base + i (client), base + 100 + i (peer) and base + 200 + i (admin) are all free right now.
    /// </summary>
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
