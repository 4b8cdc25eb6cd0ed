using System.Text;
using Grpc.Core;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Client.Tests;

public sealed class KvClientListTests
{
    [Fact]
    public async Task ListAsync_returns_pages_with_tokens_until_the_last_page_has_none()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        await using var client = ClientFor(cluster);
        foreach (var key in new[] { "p/a", "p/b", "p/c", "q" })
        {
            await client.SetAsync(key, Encoding.UTF8.GetBytes("value " + key));
        }

        var options = new KvListOptions { Prefix = "p/", PageSize = 2 };
        var first = await client.ListAsync(options);
        var second = await client.ListAsync(options, first.ContinuationToken);

        first.Entries.Select(e => e.Key).Should().Equal("p/a", "p/b");
        first.ContinuationToken.Should().NotBeNull();
        second.Entries.Select(e => e.Key).Should().Equal("p/c");
        second.ContinuationToken.Should().BeNull();
        Encoding.UTF8.GetString(second.Entries[0].Value.Span).Should().Be("value p/c");
        second.Revision.Should().BeGreaterThanOrEqualTo(second.Entries[0].Revision);
    }

    [Fact]
    public async Task ListAllAsync_enumerates_every_key_across_pages_in_byte_order()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        await using var client = ClientFor(cluster);
        var keys = Enumerable.Range(0, 45).Select(i => $"k{i:D2}").ToArray();
        await Task.WhenAll(keys.Select(k => client.SetAsync(k, Encoding.UTF8.GetBytes(k))));

        var listed = new List<KvEntry>();
        await foreach (var entry in client.ListAllAsync(new KvListOptions { PageSize = 10, KeysOnly = true }))
        {
            listed.Add(entry);
        }

        listed.Select(e => e.Key).Should().Equal(keys);
        listed.Should().OnlyContain(e => e.Value.IsEmpty && e.Version == 1 && e.CreateRevision == e.Revision);
    }

    [Fact]
    public async Task Get_reports_revision_create_revision_and_version()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        await using var client = ClientFor(cluster);
        var created = await client.SetAsync("k", "1"u8.ToArray());
        var updated = await client.SetAsync("k", "2"u8.ToArray(), ifRevision: created);

        var got = await client.GetAsync("k");

        got!.Value.Should().BeEquivalentTo(new { Revision = updated, CreateRevision = created, Version = 2UL });
    }

    [Fact]
    public async Task A_token_the_cluster_did_not_issue_is_an_invalid_argument()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        await using var client = ClientFor(cluster);

        var list = () => client.ListAsync(new KvListOptions(), "garbage!");

        (await list.Should().ThrowAsync<KvException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    private static KvClient ClientFor(TestCluster cluster) => KvClientTests.ClientFor(cluster);
}
