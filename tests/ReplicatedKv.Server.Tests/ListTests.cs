using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class ListTests
{
    [Fact]
    public async Task Paging_while_writes_continue_returns_every_key_present_throughout_exactly_once()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        var stable = Enumerable.Range(0, 300).Select(i => $"item/{i:D4}").ToArray();
        foreach (var batch in stable.Chunk(30))
        {
            await Task.WhenAll(batch.Select(k => cluster.Client(0).SetAsync(k, "v")));
        }

        using var stop = new CancellationTokenSource();
        var churn = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await cluster.Client(i % 3).SetAsync($"{stable[(i * 7) % stable.Length]}-new-{i}", "created while listing");
                await cluster.Client(i % 3).RemoveAsync($"{stable[(i * 7) % stable.Length]}-new-{i - 3}");
                await cluster.Client(i % 3).SetAsync(stable[(i * 13) % stable.Length], "overwritten " + i);
            }
        });

        var seen = new List<string>();
        var token = string.Empty;
        var pages = 0;
        do
        {
            // Alternate the node asked: a token is a key, good on any member.
            var page = await ListAsync(cluster, pages++ % 3, new ListRequest { Prefix = "item/", Limit = 17, ContinuationToken = token, KeysOnly = true });
            seen.AddRange(page.Entries.Select(e => e.Key));
            token = page.ContinuationToken;
        }
        while (token.Length > 0);
        await stop.CancelAsync();
        await churn;

        seen.Should().OnlyHaveUniqueItems();
        seen.Where(k => !k.Contains("-new-", StringComparison.Ordinal)).Should().Equal(stable);
        pages.Should().BeGreaterThan(300 / 17);
    }

    [Fact]
    public async Task Prefix_and_range_edges_select_exactly_their_keys()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        var client = cluster.Client(0);
        // U+10FFFF is the largest UTF-8 sequence (F4 8F BF BF): a prefix whose successor cannot be formed by
        // incrementing its last byte. Keys are UTF-8 strings, so no key holds a 0xFF byte itself.
        string[] keys = ["a", "b", "b1", "c", "\uFFFF", "\U0010FFFF", "\U0010FFFFx", "\U0010FFFF\U0010FFFF"];
        foreach (var key in keys)
        {
            await client.SetAsync(key, "v");
        }

        (await Keys(cluster, new ListRequest { Prefix = "" })).Should().Equal(keys);
        (await Keys(cluster, new ListRequest { Prefix = "\U0010FFFF" })).Should().Equal("\U0010FFFF", "\U0010FFFFx", "\U0010FFFF\U0010FFFF");
        (await Keys(cluster, new ListRequest { Prefix = "b" })).Should().Equal("b", "b1");
        (await Keys(cluster, new ListRequest { Start = "b", End = "c" })).Should().Equal("b", "b1");
        (await Keys(cluster, new ListRequest { Start = "\uFFFF" })).Should().Equal(keys[4..]);
        (await Keys(cluster, new ListRequest { Start = "b", End = "b" })).Should().BeEmpty();
        (await Keys(cluster, new ListRequest { Start = "c", End = "a" })).Should().BeEmpty();
        (await Keys(cluster, new ListRequest { Prefix = "nothing" })).Should().BeEmpty();
    }

    [Fact]
    public async Task Entries_carry_value_revision_create_revision_and_version_and_the_page_its_revision()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        var client = cluster.Client(0);
        var created = await client.SetAsync("k", "one");
        await client.SetAsync("other", "x");
        var updated = await client.SetAsync("k", "two");

        var page = await ListAsync(cluster, 0, new ListRequest { Prefix = "k" });
        var got = await client.GetAsync(new GetRequest { Key = "k" }, TestCluster.Deadline());

        var entry = page.Entries.Single();
        entry.Value.ToStringUtf8().Should().Be("two");
        (entry.Revision, entry.CreateRevision, entry.Version).Should().Be((updated.Revision, created.Revision, 2UL));
        (got.Revision, got.CreateRevision, got.Version).Should().Be((updated.Revision, created.Revision, 2UL));
        page.Revision.Should().Be(updated.Revision, "nothing was written after the last set");
        page.ContinuationToken.Should().BeEmpty();
    }

    [Fact]
    public async Task A_keys_only_page_has_no_values_and_a_limited_page_a_token()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        foreach (var key in new[] { "a", "b", "c" })
        {
            await cluster.Client(0).SetAsync(key, "value");
        }

        var first = await ListAsync(cluster, 0, new ListRequest { Limit = 2, KeysOnly = true });
        var rest = await ListAsync(cluster, 0, new ListRequest { Limit = 2, KeysOnly = true, ContinuationToken = first.ContinuationToken });

        first.Entries.Select(e => e.Key).Should().Equal("a", "b");
        first.Entries.Should().OnlyContain(e => e.Value.IsEmpty);
        first.ContinuationToken.Should().NotBeEmpty();
        rest.Entries.Select(e => e.Key).Should().Equal("c");
        rest.ContinuationToken.Should().BeEmpty();
    }

    [Theory]
    [InlineData(10_001u, "", "", "")]
    [InlineData(0u, "not a token!", "", "")]
    [InlineData(0u, "AmE", "", "")]      // base64url of [2]["a"]: a token format this server does not know
    [InlineData(0u, "AQ", "", "")]       // the format byte alone, no key
    [InlineData(0u, "", "p", "s")]       // prefix and range together
    public async Task Bad_limits_tokens_and_combinations_are_invalid_arguments(uint limit, string token, string prefix, string start)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();

        var call = () => cluster.Client(0).ListAsync(new ListRequest { Limit = limit, ContinuationToken = token, Prefix = prefix, Start = start }, TestCluster.Deadline()).ResponseAsync;

        (await call.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task A_linearizable_listing_after_a_leader_change_sees_every_acknowledged_write()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 10; i++)
        {
            await cluster.Client(i % 3).SetAsync($"before/{i}", "v");
        }

        await cluster.StopNodeAsync(leader);
        var newLeader = await cluster.WaitForLeaderAsync();
        var follower = Enumerable.Range(0, 3).First(n => n != leader && n != newLeader);
        var last = await cluster.Client(newLeader).SetAsync("last", "written by the new leader");

        var fromFollower = await ListAsync(cluster, follower, new ListRequest { Consistency = ReadConsistency.Linearizable });

        fromFollower.Entries.Select(e => e.Key).Should().Equal(Enumerable.Range(0, 10).Select(i => $"before/{i}").Append("last"));
        fromFollower.Revision.Should().BeGreaterThanOrEqualTo(last.Revision);
    }

    [Fact]
    public async Task A_serializable_listing_is_served_by_any_member()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        await cluster.Client(0).SetAsync("k", "v");
        await cluster.WaitConvergedAsync();

        for (var node = 0; node < 3; node++)
        {
            var page = await ListAsync(cluster, node, new ListRequest { Consistency = ReadConsistency.Serializable });
            page.Entries.Select(e => e.Key).Should().Equal("k");
        }
    }

    private static Task<ListResponse> ListAsync(TestCluster cluster, int node, ListRequest request) =>
        TestCluster.RetryAsync(() => cluster.Client(node).ListAsync(request, TestCluster.Deadline()).ResponseAsync);

    private static async Task<string[]> Keys(TestCluster cluster, ListRequest request) =>
        (await ListAsync(cluster, 0, request)).Entries.Select(e => e.Key).ToArray();
}
