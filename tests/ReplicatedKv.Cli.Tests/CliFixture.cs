using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Cli.Tests;

/// <summary>One 3-node cluster shared by the tests that leave it running.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public string Endpoints => string.Join(',', Cluster.Settings.Select(s => s.AdvertiseClientUrl));

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(3);
        await Cluster.WaitForLeaderAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>What one rkvctl run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static async Task<CliRun> RunAsync(Stream? stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Program.RunAsync(args, stdout, stderr, stdin);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(null, args);
}

/// <summary>The tests that share <see cref="CliFixture"/>'s cluster.</summary>
[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "shared cluster";
}
