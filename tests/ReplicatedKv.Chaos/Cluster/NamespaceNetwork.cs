using System.Globalization;
using System.Text;
using ReplicatedKv.Testing.Processes;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// One network namespace per node (<c>rkvc{n}n{i}</c>, address 10.77.{n}.{i}), each with a veth into a bridge in a
/// hub namespace (<c>rkvc{n}h</c>), plus one veth from the root namespace (10.77.{n}.254) so the harness reaches
/// every node. The bridge lives outside the root namespace on purpose: a Docker engine on the host sets
/// br_netfilter and an iptables FORWARD policy of DROP there, which would drop bridged traffic. Partitions are
/// nftables rules in the receiving node's namespace dropping packets from chosen peers; the harness's own address is
/// never dropped, so clients and status calls always reach every node.
/// </summary>
internal sealed class NamespaceNetwork : ClusterNetwork
{
    private const string Table = "rkvchaos";
    private const int ClientPort = 7001;
    private const int PeerPort = 7101;
    private const int AdminPort = 7201;
    private readonly string _prefix;

    private NamespaceNetwork(RunSlot slot, IReadOnlyList<NodeAddress> nodes)
        : base(slot)
    {
        _prefix = slot.Prefix;
        Nodes = nodes;
    }

    public override IReadOnlyList<NodeAddress> Nodes { get; }

    public override bool CanPartition => true;

    public override string Description =>
        $"network namespaces {NodeNamespace(0)}..{NodeNamespace(Nodes.Count - 1)} on {Subnet(Slot.Number)}.0/24 (bridge in {HubNamespace})";

    private string HubNamespace => _prefix + "h";

    /// <summary>Null when namespaces can be used; otherwise why not. Installs nftables (a script in this project) when missing.</summary>
    public static async Task<string?> WhyUnavailableAsync(TextWriter log)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "not root";
        }

        try
        {
            var netns = await Shell.RunAsync("ip", ["netns", "list"]).ConfigureAwait(false);
            if (!netns.Succeeded)
            {
                return "`ip netns` failed: " + netns.Error.Trim();
            }

            if (!(await Shell.RunAsync("nft", ["--version"]).ConfigureAwait(false)).Succeeded)
            {
                return "nft does not run";
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return await InstallToolsAsync(log, ex.Message).ConfigureAwait(false);
        }

        return null;
    }

    public static async Task<NamespaceNetwork> CreateAsync(RunSlot slot, int nodes)
    {
        var subnet = Subnet(slot.Number);
        var addresses = Enumerable.Range(0, nodes)
            .Select(i => new NodeAddress(i, $"{subnet}.{i + 1}", ClientPort, PeerPort, AdminPort))
            .ToArray();
        var network = new NamespaceNetwork(slot, addresses);
        try
        {
            await network.BuildAsync(subnet).ConfigureAwait(false);
            return network;
        }
        catch
        {
            await RemoveAllAsync(slot.Prefix).ConfigureAwait(false);
            throw;
        }
    }

    public override IReadOnlyList<string> LaunchPrefix(int node) => ["ip", "netns", "exec", NodeNamespace(node)];

    public override async Task CutAsync(IReadOnlyCollection<LinkCut> cuts)
    {
        // Only the receiver drops: the sender sees silence, as behind a real partition, rather than the instant
        // EPERM an output rule would give its socket calls.
        for (var node = 0; node < Nodes.Count; node++)
        {
            var to = node;
            var from = cuts.Where(c => c.To == to).Select(c => Nodes[c.From].Host).Distinct().ToArray();
            var script = new StringBuilder();

            // "table" then "delete table" removes it whether or not it exists, in the same atomic transaction.
            script.AppendLine(CultureInfo.InvariantCulture, $"table inet {Table}");
            script.AppendLine(CultureInfo.InvariantCulture, $"delete table inet {Table}");
            if (from.Length > 0)
            {
                script.AppendLine(CultureInfo.InvariantCulture, $"table inet {Table} {{");
                script.AppendLine("  chain input {");
                script.AppendLine("    type filter hook input priority 0; policy accept;");
                script.AppendLine(CultureInfo.InvariantCulture, $"    ip saddr {{ {string.Join(", ", from)} }} drop");
                script.AppendLine("  }");
                script.AppendLine("}");
            }

            await Shell.RunCheckedAsync("ip", ["netns", "exec", NodeNamespace(node), "nft", "-f", "-"], script.ToString()).ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await RemoveAllAsync(_prefix).ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Kills whatever still runs in the namespaces named <paramref name="prefix"/>..., then deletes them.</summary>
    public static async Task RemoveAllAsync(string prefix)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            return;
        }

        foreach (var name in await NamespacesAsync().ConfigureAwait(false))
        {
            if (RunSlot.NamespaceName().Match(name) is not { Success: true } match || "rkvc" + match.Groups[1].Value != prefix)
            {
                continue;
            }

            var pids = await Shell.RunAsync("ip", ["netns", "pids", name]).ConfigureAwait(false);
            foreach (var line in pids.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    PosixSignals.Send(pid, PosixSignals.SigKill);
                }
            }

            await Shell.RunAsync("ip", ["netns", "del", name]).ConfigureAwait(false);
        }

        // Deleting the hub deletes this veth's peer and with it the veth; this covers a hub that was never made.
        await Shell.RunAsync("ip", ["link", "del", prefix + "r"]).ConfigureAwait(false);
    }

    /// <summary>Run numbers that have namespaces on this machine now.</summary>
    public static async Task<IReadOnlySet<int>> PrefixNumbersInUseAsync()
    {
        var numbers = new HashSet<int>();
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess)
        {
            foreach (var name in await NamespacesAsync().ConfigureAwait(false))
            {
                if (RunSlot.NamespaceName().Match(name) is { Success: true } match)
                {
                    numbers.Add(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
                }
            }
        }

        return numbers;
    }

    private static async Task<IReadOnlyList<string>> NamespacesAsync()
    {
        try
        {
            var list = await Shell.RunAsync("ip", ["netns", "list"]).ConfigureAwait(false);
            return list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToArray();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }

    private static string Subnet(int number) => string.Create(CultureInfo.InvariantCulture, $"10.77.{number}");

    private string NodeNamespace(int node) => _prefix + "n" + (node + 1).ToString(CultureInfo.InvariantCulture);

    private async Task BuildAsync(string subnet)
    {
        var hub = HubNamespace;
        await Ip("netns", "add", hub).ConfigureAwait(false);
        await Ip("-n", hub, "link", "set", "lo", "up").ConfigureAwait(false);
        await Ip("-n", hub, "link", "add", "br0", "type", "bridge").ConfigureAwait(false);
        await Ip("-n", hub, "link", "set", "br0", "up").ConfigureAwait(false);
        for (var i = 0; i < Nodes.Count; i++)
        {
            var ns = NodeNamespace(i);
            var port = "n" + (i + 1).ToString(CultureInfo.InvariantCulture);
            await Ip("netns", "add", ns).ConfigureAwait(false);
            await Ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", hub).ConfigureAwait(false);
            await Ip("-n", ns, "addr", "add", $"{Nodes[i].Host}/24", "dev", "eth0").ConfigureAwait(false);
            await Ip("-n", ns, "link", "set", "eth0", "up").ConfigureAwait(false);
            await Ip("-n", ns, "link", "set", "lo", "up").ConfigureAwait(false);
            await Ip("-n", hub, "link", "set", port, "master", "br0").ConfigureAwait(false);
            await Ip("-n", hub, "link", "set", port, "up").ConfigureAwait(false);
        }

        var rootLink = _prefix + "r";
        await Ip("link", "add", rootLink, "type", "veth", "peer", "name", "harness", "netns", hub).ConfigureAwait(false);
        await Ip("-n", hub, "link", "set", "harness", "master", "br0").ConfigureAwait(false);
        await Ip("-n", hub, "link", "set", "harness", "up").ConfigureAwait(false);
        await Ip("addr", "add", $"{subnet}.254/24", "dev", rootLink).ConfigureAwait(false);
        await Ip("link", "set", rootLink, "up").ConfigureAwait(false);
    }

    private static Task<string> Ip(params string[] args) => Shell.RunCheckedAsync("ip", args);

    // nft (or ip) is missing: run the project's installer once, then look again.
    private static async Task<string?> InstallToolsAsync(TextWriter log, string missing)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "setup-netns-tools.sh");
        if (!File.Exists(script))
        {
            return $"a tool is missing ({missing}) and {script} is not there to install it";
        }

        await log.WriteLineAsync($"rkv-chaos: {missing}; running {script}").ConfigureAwait(false);
        var install = await Shell.RunAsync("bash", [script]).ConfigureAwait(false);
        if (!install.Succeeded)
        {
            return $"installing iproute2/nftables failed: {install.Error.Trim()}";
        }

        try
        {
            return (await Shell.RunAsync("nft", ["--version"]).ConfigureAwait(false)).Succeeded &&
                (await Shell.RunAsync("ip", ["netns", "list"]).ConfigureAwait(false)).Succeeded
                ? null
                : "nft or ip still does not run after installing";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return "still missing after installing: " + ex.Message;
        }
    }
}
