using System.Net;
using System.Net.Sockets;

namespace ReplicatedKv.LocalCluster;

/// <summary>
/// Tries every port before any node starts, so a port still held (often by the nodes of an earlier run) is one clear
/// line instead of three nodes failing one after the other.
/// </summary>
internal static class PortCheck
{
    /// <summary>Null if every port is free; else which port is taken and by which listener of which node.</summary>
    public static string? FindBusy(IReadOnlyList<NodeLayout> nodes)
    {
        var ports = nodes.SelectMany(n => new[] { (n.ClientPort, $"{n.Id} client"), (n.PeerPort, $"{n.Id} peer"), (n.AdminPort, $"{n.Id} admin") });
        foreach (var (port, use) in ports)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
            }
            catch (SocketException ex)
            {
                return $"port {port} ({use}) is not free: {ex.Message}";
            }
            finally
            {
                listener.Stop();
            }
        }

        return null;
    }
}
