using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.LocalCluster;

/// <summary>The table printed once every node is ready: where each node listens, its PID and data, and who leads.</summary>
internal static class ReadyTable
{
    public static async Task<string> BuildAsync(IReadOnlyList<NodeProcess> nodes, TimeSpan took, CancellationToken cancellationToken)
    {
        var roles = await Task.WhenAll(nodes.Select(n => RoleAsync(n.Layout, cancellationToken))).ConfigureAwait(false);
        var leader = nodes.Where((_, i) => roles[i] == "leader").Select(n => n.Layout.Id).FirstOrDefault();

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"rkv-local: {(nodes.Count == 1 ? "1 node" : $"all {nodes.Count} nodes")} ready after {took.TotalSeconds:0.0} s; ")
            .AppendLine(leader is null ? "leader unknown" : $"{leader} leads");
        var rows = nodes.Select((n, i) => new[]
        {
            n.Layout.Id, n.Layout.ClientUrl, n.Layout.AdminUrl, n.Pid.ToString(CultureInfo.InvariantCulture), roles[i], n.Layout.DataDir,
        });
        AppendTable(text, ["node", "client (gRPC)", "admin (HTTP)", "pid", "role", "data"], rows);
        return text.ToString();
    }

    /// <summary>The node's own word on its role, from Cluster.Status on its client port; "?" if it does not answer.</summary>
    private static async Task<string> RoleAsync(NodeLayout node, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(node.ClientUrl);
        try
        {
            var status = await new Cluster.ClusterClient(channel)
                .StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(3), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return status.Role switch
            {
                NodeRole.Leader => "leader",
                NodeRole.Candidate => "candidate",
                _ => "follower",
            };
        }
        catch (RpcException) when (!cancellationToken.IsCancellationRequested)
        {
            return "?";
        }
    }

    private static void AppendTable(StringBuilder text, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToArray();
        var widths = header.Select((_, c) => all.Max(r => r[c].Length)).ToArray();
        foreach (var row in all)
        {
            text.Append("  ").AppendJoin("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).AppendLine();
        }
    }
}
