using System.Net;
using Grpc.Core;
using Grpc.Net.Client;

namespace ReplicatedKv.Server.Tests;

/// <summary>/metrics on the admin port: what a write moves, that each in-process node counts only itself, and where it is not served.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private const string KeyValue = "replicatedkv.v1.KeyValue";

    private TestCluster _cluster = null!;
    private int _leader;
    private int[] _followers = [];

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3, withAdminPorts: true);
        _leader = await _cluster.WaitForLeaderAsync();
        _followers = Enumerable.Range(0, 3).Where(i => i != _leader).ToArray();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_write_moves_the_leaders_consensus_storage_and_client_call_metrics()
    {
        var before = await PrometheusScrape.FetchAsync(_cluster.AdminUrl(_leader));

        await _cluster.Client(_leader).SetAsync("metrics", "v1");

        var after = await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(_leader),
            s => s.Value("rkv_client_calls_total", Set("OK")) > before.Value("rkv_client_calls_total", Set("OK")));
        foreach (var counter in new[] { "rkv_proposed_commands_total", "rkv_decided_slots_total", "rkv_applied_slots_total", "rkv_applied_commands_total" })
        {
            after.Value(counter).Should().BeGreaterThan(before.Value(counter), "{0} counts the write on the leader", counter);
        }

        after.Value("rkv_client_calls_total", Set("OK")).Should().Be(before.Value("rkv_client_calls_total", Set("OK")) + 1);
        after.Value("rkv_client_call_duration_seconds_count", Set("OK")).Should().Be(before.Value("rkv_client_call_duration_seconds_count", Set("OK")) + 1);
        after.Value("rkv_wal_fsync_duration_seconds_count").Should().BeGreaterThan(before.Value("rkv_wal_fsync_duration_seconds_count"));
        after.Value("rkv_wal_fsync_commands_sum").Should().BeGreaterThan(before.Value("rkv_wal_fsync_commands_sum"), "the write's command was made durable");
        after.Value("rkv_proposal_commands_count").Should().BeGreaterThan(before.Value("rkv_proposal_commands_count"));
        after.Value("rkv_is_leader").Should().Be(1);
        after.Value("rkv_role", "role=\"leader\"").Should().Be(1);
        after.Value("rkv_role", "role=\"follower\"").Should().Be(0);
        after.Value("rkv_leader_changes_total").Should().BeGreaterThanOrEqualTo(1);
        after.Value("rkv_ballot_round").Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task Build_info_is_1_labelled_with_the_version_Status_reports()
    {
        var version = (await _cluster.StatusAsync(_leader)).Version;
        var scrape = await PrometheusScrape.FetchAsync(_cluster.AdminUrl(_leader));
        scrape.Value("rkv_build_info", $"version=\"{version}\"").Should().Be(1);
    }

    [Fact]
    public async Task Refused_calls_are_counted_by_the_status_their_client_gets()
    {
        var leaderUrl = _cluster.AdminUrl(_leader);
        var before = await PrometheusScrape.FetchAsync(leaderUrl);

        var stale = async () => await _cluster.Client(_leader).SetAsync("metrics-cas", "v", ifVersion: 999);
        (await stale.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);

        // Refused by the protobuf runtime before any handler runs: counted all the same, as INVALID_ARGUMENT.
        byte[] notUtf8Key = [0x0A, 0x02, 0xFF, 0xFE];
        var method = new Method<byte[], byte[]>(MethodType.Unary, KeyValue, "Set", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        using (var channel = GrpcChannel.ForAddress(_cluster.Settings[_leader].AdvertiseClientUrl))
        {
            var malformed = async () => await channel.CreateCallInvoker().AsyncUnaryCall(method, null, TestCluster.Deadline(), notUtf8Key);
            (await malformed.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
        }

        var after = await PrometheusScrape.FetchUntilAsync(leaderUrl,
            s => s.Value("rkv_client_calls_total", Set("INVALID_ARGUMENT")) > before.Value("rkv_client_calls_total", Set("INVALID_ARGUMENT")));
        after.Value("rkv_client_calls_total", Set("FAILED_PRECONDITION")).Should().Be(before.Value("rkv_client_calls_total", Set("FAILED_PRECONDITION")) + 1);
        after.Value("rkv_client_calls_total", Set("INVALID_ARGUMENT")).Should().Be(before.Value("rkv_client_calls_total", Set("INVALID_ARGUMENT")) + 1);
    }

    [Fact]
    public async Task Each_node_exports_only_its_own_numbers_and_followers_apply_the_leaders_writes()
    {
        var followerBefore = await PrometheusScrape.FetchAsync(_cluster.AdminUrl(_followers[0]));

        await _cluster.Client(_leader).SetAsync("metrics-replicated", "v");

        // Followers learn a slot is decided from the leader's next accept or heartbeat: wait for it, then look.
        var follower = await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(_followers[0]),
            s => s.Value("rkv_applied_commands_total") > followerBefore.Value("rkv_applied_commands_total"));
        follower.Value("rkv_decided_slots_total").Should().BeGreaterThan(followerBefore.Value("rkv_decided_slots_total"));
        follower.Value("rkv_applied_commands_total").Should().BeGreaterThan(followerBefore.Value("rkv_applied_commands_total"));

        // Three nodes share this process and its meters' names: each scrape must still be one node's alone.
        follower.Value("rkv_proposed_commands_total").Should().Be(0, "a follower proposes nothing; the leader's proposals are not its own");
        follower.Has("rkv_client_calls_total", Set("OK")).Should().BeFalse("the Set calls went to the leader");
        follower.Value("rkv_is_leader").Should().Be(0);
        follower.Value("rkv_role", "role=\"follower\"").Should().Be(1);

        var scrapes = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => PrometheusScrape.FetchAsync(_cluster.AdminUrl(i))));
        scrapes.Sum(s => s.Value("rkv_is_leader")).Should().Be(1, "exactly one node leads");
    }

    [Fact]
    public async Task Each_node_reports_its_peers_reachable()
    {
        var names = _cluster.Settings.Select(s => s.NodeId).ToArray();
        for (var node = 0; node < 3; node++)
        {
            var peers = names.Where((_, i) => i != node).Select(name => $"peer=\"{name}\"").ToArray();
            var scrape = await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(node), s => peers.All(p => s.Value("rkv_peer_reachable", p) == 1));
            foreach (var peer in peers)
            {
                scrape.Value("rkv_peer_reachable", peer).Should().Be(1, "node {0} has an open stream to {1}", names[node], peer);
            }

            scrape.Has("rkv_peer_reachable", $"peer=\"{names[node]}\"").Should().BeFalse("a node is not its own peer");
        }
    }

    [Fact]
    public async Task Metrics_are_served_on_the_admin_port_only()
    {
        var admin = await PrometheusScrape.FetchAsync(_cluster.AdminUrl(_leader));
        admin.Has("rkv_is_leader").Should().BeTrue();

        // The peer and client ports speak HTTP/2 without TLS: ask them as Prometheus would, if pointed there.
        using var http = new HttpClient
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(10),
        };
        foreach (var url in new[] { _cluster.Settings[_leader].PeerUrl, new Uri(_cluster.Settings[_leader].AdvertiseClientUrl) })
        {
            using var response = await http.GetAsync(new Uri(url, "/metrics"));
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, "{0} is not the admin port", url);
            (await response.Content.ReadAsStringAsync()).Should().NotContain("rkv_");
        }
    }

    private static string[] Set(string status) => ["service=\"" + KeyValue + "\"", "method=\"Set\"", "status=\"" + status + "\""];
}
