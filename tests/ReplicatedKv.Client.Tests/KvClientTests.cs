using System.Text;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Tests;

namespace ReplicatedKv.Client.Tests;

public sealed class KvClientTests
{
    private static KvClient ClientFor(TestCluster cluster, TimeSpan? timeout = null) => new(new KvClientOptions
    {
        Endpoints = cluster.Settings.Select(s => new Uri(s.AdvertiseClientUrl)).ToArray(),
        DefaultTimeout = timeout ?? TimeSpan.FromSeconds(20),
    });

    private static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Reads_and_writes_round_trip_and_the_client_settles_on_the_leader()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = ClientFor(cluster);

        var version = await client.SetAsync("k", Bytes("v1"));
        var got = await client.GetAsync("k");
        got.Should().NotBeNull();
        Encoding.UTF8.GetString(got!.Value.Value.Span).Should().Be("v1");
        got.Value.Version.Should().Be(version);
        (await client.ContainsAsync("k", ReadConsistency.Serializable)).Should().BeTrue();
        (await client.RemoveAsync("k")).Removed.Should().BeTrue();
        (await client.GetAsync("k")).Should().BeNull();
        (await client.RemoveAsync("k")).Removed.Should().BeFalse();

        client.LeaderGuess.Should().Be(new Uri(cluster.Settings[leader].AdvertiseClientUrl));
    }

    [Fact]
    public async Task A_failed_compare_on_version_is_a_version_mismatch()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        await using var client = ClientFor(cluster);
        var v1 = await client.SetAsync("k", Bytes("a"), ifVersion: 0);
        var again = async () => await client.SetAsync("k", Bytes("b"), ifVersion: 0);
        await again.Should().ThrowAsync<VersionMismatchException>();
        (await client.SetAsync("k", Bytes("c"), ifVersion: v1)).Should().BeGreaterThan(v1);
    }

    [Fact]
    public async Task Concurrent_writers_ride_through_a_leader_kill_and_every_acknowledged_write_is_there()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = ClientFor(cluster);
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, ulong>();
        var unknown = 0;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"w{w}-{i}";
                try
                {
                    acknowledged[key] = await client.SetAsync(key, Bytes(key));
                }
                catch (WriteOutcomeUnknownException)
                {
                    Interlocked.Increment(ref unknown);
                }
            }
        })).ToArray();

        // Kill the leader under load, then let the writers run until many more writes went through the new one.
        await WaitForAsync(() => acknowledged.Count >= 100);
        await cluster.StopNodeAsync(leader);
        var atKill = acknowledged.Count;
        await WaitForAsync(() => acknowledged.Count >= atKill + 200);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        foreach (var (key, version) in acknowledged)
        {
            var got = await client.GetAsync(key);
            got.Should().NotBeNull($"{key} was acknowledged");
            // Retries carry the same request id: a second application would have given the key a later version.
            got!.Value.Version.Should().Be(version, $"{key} was applied once, by the write that was acknowledged");
        }

        unknown.Should().BeLessThan(acknowledged.Count, "most writes ride through the failover instead of ending unknown");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the writers should make progress");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task With_no_member_up_a_read_is_unavailable_and_a_write_that_never_left_is_not_unknown()
    {
        var cluster = await TestCluster.StartAsync(3);
        var endpoints = cluster.Settings.Select(s => new Uri(s.AdvertiseClientUrl)).ToArray();
        await cluster.DisposeAsync();
        await using var client = new KvClient(new KvClientOptions { Endpoints = endpoints, DefaultTimeout = TimeSpan.FromSeconds(1) });

        var read = async () => await client.GetAsync("k");
        await read.Should().ThrowAsync<ClusterUnavailableException>();
        var write = async () => await client.SetAsync("k", Bytes("v"));
        await write.Should().ThrowAsync<ClusterUnavailableException>("every connection was refused: the write was never sent");
    }

    [Fact]
    public async Task A_write_to_a_cluster_without_quorum_ends_as_outcome_unknown_at_the_deadline()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { RequestTimeout = TimeSpan.FromSeconds(1) });
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.StopNodeAsync((leader + 1) % 3);
        await cluster.StopNodeAsync((leader + 2) % 3);
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [new Uri(cluster.Settings[leader].AdvertiseClientUrl)],
            DefaultTimeout = TimeSpan.FromSeconds(3),
        });
        var write = async () => await client.SetAsync("k", Bytes("v"));
        await write.Should().ThrowAsync<WriteOutcomeUnknownException>();
    }
}
