namespace ReplicatedKv.Chaos.Cluster;

/// <summary>Which <see cref="ClusterNetwork"/> a run asks for (the run flags <c>--netns</c>, <c>--proxy</c>, <c>--loopback</c>).</summary>
internal enum NetworkChoice
{
    /// <summary>Network namespaces where this process may make them (root), else proxies.</summary>
    Auto,

    /// <summary>Network namespaces or nothing: the run fails when they cannot be made.</summary>
    Namespaces,

    /// <summary>Proxies even as root, e.g. to compare them with namespaces on one machine.</summary>
    Proxies,

    /// <summary>Plain loopback, no partitions.</summary>
    Loopback,
}
