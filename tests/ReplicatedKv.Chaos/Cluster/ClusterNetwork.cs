namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// Where the nodes live on the network and how they are cut apart: one network namespace per node behind a bridge
/// (<see cref="NamespaceNetwork"/>, root), loopback ports with a TCP proxy per directed peer link
/// (<see cref="ProxyNetwork"/>, no root), or plain loopback ports with no partitions (<see cref="LoopbackNetwork"/>).
/// </summary>
internal abstract class ClusterNetwork : IAsyncDisposable
{
    protected ClusterNetwork(RunSlot slot)
    {
        Slot = slot;
    }

    /// <summary>This run's claim on names, addresses and the processes it starts; released on dispose.</summary>
    public RunSlot Slot { get; }

    public abstract IReadOnlyList<NodeAddress> Nodes { get; }

    /// <summary>True when <see cref="CutAsync"/> really drops packets.</summary>
    public abstract bool CanPartition { get; }

    /// <summary>One line for the summary: what kind of network this is (and, for loopback, why).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// The URL node <paramref name="from"/> is given for peer <paramref name="to"/> in its <c>--peers</c>: the peer's
    /// own address, unless the network puts something in between. Each node may get a different string for the
    /// same member; the server only dials these URLs and never compares them across nodes.
    /// </summary>
    public virtual Uri PeerUrlFor(int from, int to) => Nodes[to].PeerUrl;

    /// <summary>What goes before the server command line to run it on node <paramref name="node"/>'s network.</summary>
    public abstract IReadOnlyList<string> LaunchPrefix(int node);

    /// <summary>Replaces every cut in force with <paramref name="cuts"/> (empty heals everything).</summary>
    public abstract Task CutAsync(IReadOnlyCollection<LinkCut> cuts);

    public Task HealAsync() => CutAsync([]);

    public virtual ValueTask DisposeAsync()
    {
        Slot.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// What <paramref name="choice"/> asks for. <see cref="NetworkChoice.Auto"/>: network namespaces when this process
    /// may make them (root, working <c>ip netns</c>, nft installed or installable), else proxies, saying why in
    /// <see cref="Description"/>. Throws <see cref="InvalidOperationException"/> when namespaces were demanded and
    /// cannot be made.
    /// </summary>
    public static async Task<ClusterNetwork> CreateAsync(int nodes, NetworkChoice choice, TextWriter log)
    {
        var slot = await RunSlot.ClaimAsync(log).ConfigureAwait(false);
        try
        {
            switch (choice)
            {
                case NetworkChoice.Loopback:
                    return LoopbackNetwork.Create(slot, nodes, "--loopback asked for it");
                case NetworkChoice.Proxies:
                    return ProxyNetwork.Create(slot, nodes, "--proxy asked for it");
            }

            var problem = await NamespaceNetwork.WhyUnavailableAsync(log).ConfigureAwait(false);
            if (problem is null)
            {
                try
                {
                    return await NamespaceNetwork.CreateAsync(slot, nodes).ConfigureAwait(false);
                }
                catch (InvalidOperationException ex)
                {
                    // E.g. root in a container without CAP_NET_ADMIN: `ip netns list` works, `ip netns add` does not.
                    problem = "could not build the namespaces: " + ex.Message;
                }
            }

            return choice == NetworkChoice.Namespaces
                ? throw new InvalidOperationException("--netns asked for network namespaces, and this run cannot make them: " + problem)
                : ProxyNetwork.Create(slot, nodes, "no network namespaces: " + problem);
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }
}
