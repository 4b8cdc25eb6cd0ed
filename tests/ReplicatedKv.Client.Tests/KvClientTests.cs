using System.Text;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Client.Tests;

public sealed class KvClientTests
{
    internal static KvClient ClientFor(TestCluster cluster, TimeSpan? timeout = null) => new(new KvClientOptions
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
        got.Value.Revision.Should().Be(version);
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
        var v1 = await client.SetAsync("k", Bytes("a"), ifRevision: 0);
        var again = async () => await client.SetAsync("k", Bytes("b"), ifRevision: 0);
        await again.Should().ThrowAsync<VersionMismatchException>();
        (await client.SetAsync("k", Bytes("c"), ifRevision: v1)).Should().BeGreaterThan(v1);
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
            got!.Value.Revision.Should().Be(version, $"{key} was applied once, by the write that was acknowledged");
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
        (await write.Should().ThrowAsync<WriteOutcomeUnknownException>()).Which.Message.Should().NotContain("()").And.NotEndWith(": )");
    }

    [Fact]
    public async Task A_write_to_a_member_that_accepts_the_connection_but_never_answers_is_outcome_unknown_not_unavailable()
    {
        // A frozen (SIGSTOPped) server: its kernel accepts the connection and buffers the request, which the
        // process applies when it wakes. The client cannot know the write was not applied.
        using var silent = new SilentListener();
        await using var client = new KvClient(new KvClientOptions { Endpoints = [silent.Url], DefaultTimeout = TimeSpan.FromMilliseconds(500) });

        var write = async () => await client.SetAsync("k", Bytes("v"));
        (await write.Should().ThrowAsync<WriteOutcomeUnknownException>()).Which.Message.Should()
            .MatchRegex(@"\(last: http://127\.0\.0\.1:\d+: \S.*\)$", "an unknown outcome always says where and why");
        silent.Accepted.Should().BeGreaterThan(0, "the connection was made: the request may sit in the member's buffers");
    }

    [Fact]
    public async Task After_a_member_stays_silent_past_the_deadline_the_next_call_starts_at_another_member()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        using var silent = new SilentListener();
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [silent.Url, new Uri(cluster.Settings[0].AdvertiseClientUrl)],
            DefaultTimeout = TimeSpan.FromMilliseconds(500),
        });

        var stuck = async () => await client.GetAsync("k");
        await stuck.Should().ThrowAsync<ClusterUnavailableException>();
        client.LeaderGuess.Should().Be(new Uri(cluster.Settings[0].AdvertiseClientUrl));

        (await client.SetAsync("k", Bytes("v"), timeout: TimeSpan.FromSeconds(20))).Should().BeGreaterThan(0);
    }

    /// <summary>Accepts TCP connections and never reads or writes a byte.</summary>
    private sealed class SilentListener : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        private readonly List<System.Net.Sockets.Socket> _accepted = [];
        private readonly CancellationTokenSource _stop = new();

        public SilentListener()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public Uri Url => new($"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}");

        public int Accepted
        {
            get
            {
                lock (_accepted)
                {
                    return _accepted.Count;
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_accepted)
            {
                _accepted.ForEach(s => s.Dispose());
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                    lock (_accepted)
                    {
                        _accepted.Add(socket);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}
