namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// Where the nodes live on the network and how they are cut apart: one network namespace per node behind a bridge
/// (<see cref="NamespaceNetwork"/>), or, without root, loopback ports with no partitions (<see cref="LoopbackNetwork"/>).
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
    /// Network namespaces when this process may make them (root, working <c>ip netns</c>, nft installed or
    /// installable) unless <paramref name="loopback"/> asks otherwise; else loopback, saying why in <see cref="Description"/>.
    /// </summary>
    public static async Task<ClusterNetwork> CreateAsync(int nodes, bool loopback, TextWriter log)
    {
        var slot = await RunSlot.ClaimAsync(log).ConfigureAwait(false);
        try
        {
            var problem = loopback ? "--loopback asked for it" : await NamespaceNetwork.WhyUnavailableAsync(log).ConfigureAwait(false);
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

            return LoopbackNetwork.Create(slot, nodes, problem);
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }
}
