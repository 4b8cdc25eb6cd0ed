using System.Globalization;
using ReplicatedKv.Chaos.Membership;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Checking;
using Xunit.Abstractions;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// Membership changes on real rkv-server processes under the chaos workload (issue 16): grow 3 -> 5, replace a
/// killed member by a new empty one at a new address, remove the leader, and move leadership. Each run reads every
/// key back at the end and the whole history must be linearizable, so a lost acknowledged write fails it.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class MembershipProcessTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int[] FirstThree = [0, 1, 2];
    private static readonly int[] Grown = [3, 4];
    private static readonly TimeSpan Catchup = TimeSpan.FromSeconds(60);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "rkv-membership-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly StringWriter _log = new(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        output.WriteLine(_log.ToString());
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Growing_three_to_five_under_write_load_fails_and_loses_no_write()
    {
        await using var cluster = await MemberCluster.StartAsync(initial: 3, capacity: 5, _folder, _log);
        await cluster.WaitLeaderAsync(Catchup);
        await using var load = MembershipLoad.Start(cluster.ClientUrls(FirstThree));
        await load.WaitForWritesAsync(50);

        foreach (var index in Grown)
        {
            var added = await cluster.AddAsync(index);
            added.Members.Should().Contain(m => m.NodeId == cluster.Address(index).Id && m.Role == MemberRole.Learner);
            await cluster.WaitVoterAsync(index, Catchup);
            await load.WaitForWritesAsync(30);
        }

        var (result, unread) = await load.StopAndCheckAsync(cluster.ClientUrls([0, 1, 2, 3, 4]));
        var because = Report(result, load);
        load.FailedWrites.Should().BeEmpty("no write may fail or time out while members are added" + because);
        unread.Should().BeEmpty(because);
        result.IsLinearizable.Should().BeTrue(because);
        (await cluster.ConvergedHashAsync(TimeSpan.FromSeconds(30))).Should().NotBeNull("all five apply the same table");
        var leader = await cluster.LeaderStatusAsync();
        leader!.Peers.Where(p => p.MemberRole == MemberRole.Voter).Should().HaveCount(4, "five voters: the leader and four peers");
    }

    [Fact]
    public async Task A_killed_member_is_replaced_by_a_new_empty_one_at_a_new_address_and_no_write_is_lost()
    {
        await using var cluster = await MemberCluster.StartAsync(initial: 3, capacity: 4, _folder, _log);
        var leaderId = await cluster.WaitLeaderAsync(Catchup);
        var victim = FirstThree.First(i => cluster.Address(i).Id != leaderId);
        var survivors = FirstThree.Where(i => i != victim).ToArray();
        await using var load = MembershipLoad.Start(cluster.ClientUrls(survivors));
        await load.WaitForWritesAsync(50);

        await cluster.Node(victim).KillAsync();
        await load.WaitForWritesAsync(20);
        var removed = await cluster.RemoveAsync(victim);
        removed.Members.Select(m => m.NodeId).Should().NotContain(cluster.Address(victim).Id);
        await cluster.AddAsync(3);
        await cluster.WaitVoterAsync(3, Catchup);
        await load.WaitForWritesAsync(30);

        var (result, unread) = await load.StopAndCheckAsync(cluster.ClientUrls([.. survivors, 3]));
        var because = Report(result, load);
        unread.Should().BeEmpty(because);
        result.IsLinearizable.Should().BeTrue(because);
        (await cluster.ConvergedHashAsync(TimeSpan.FromSeconds(30))).Should().NotBeNull("the new member applies the same table as the two that stayed");
        var members = (await cluster.LeaderStatusAsync())!;
        new[] { members.NodeId }.Concat(members.Peers.Where(p => p.MemberRole == MemberRole.Voter).Select(p => p.NodeId)).Order()
            .Should().Equal(survivors.Append(3).Select(i => cluster.Address(i).Id).Order());
    }

    [Fact]
    public async Task Removing_the_leader_leaves_a_remaining_voter_leading_and_no_write_is_lost()
    {
        await using var cluster = await MemberCluster.StartAsync(initial: 3, capacity: 3, _folder, _log);
        var leaderId = await cluster.WaitLeaderAsync(Catchup);
        var leader = cluster.IndexOf(leaderId);
        var remaining = FirstThree.Where(i => i != leader).ToArray();
        await using var load = MembershipLoad.Start(cluster.ClientUrls(FirstThree));
        await load.WaitForWritesAsync(50);

        var removed = await cluster.RemoveAsync(leader);
        removed.Members.Select(m => m.NodeId).Should().BeEquivalentTo(remaining.Select(i => cluster.Address(i).Id));
        var next = await cluster.WaitLeaderAsync(TimeSpan.FromSeconds(10), other: leaderId);
        await load.WaitForWritesAsync(30);
        await cluster.Node(leader).KillAsync();
        await load.WaitForWritesAsync(30);

        var (result, unread) = await load.StopAndCheckAsync(cluster.ClientUrls(remaining));
        var because = Report(result, load);
        remaining.Select(i => cluster.Address(i).Id).Should().Contain(next);
        unread.Should().BeEmpty(because);
        result.IsLinearizable.Should().BeTrue(because);
        output.WriteLine($"removing the leader {leaderId}: {next} leads; {load.FailedWrites.Count} writes failed or timed out around the change");
    }

    [Fact]
    public async Task Leadership_moves_under_write_load_and_the_write_pause_is_reported()
    {
        await using var cluster = await MemberCluster.StartAsync(initial: 3, capacity: 3, _folder, _log);
        var leaderId = await cluster.WaitLeaderAsync(Catchup);
        var target = FirstThree.Select(i => cluster.Address(i).Id).First(id => id != leaderId);
        await using var load = MembershipLoad.Start(cluster.ClientUrls(FirstThree));
        await load.WaitForWritesAsync(100);

        var from = load.Clock.Nanos;
        var moved = await cluster.Client.TransferLeaderAsync(target);
        var to = load.Clock.Nanos;
        await load.WaitForWritesAsync(100);

        var pause = load.LongestWritePause(from, to);
        var (result, unread) = await load.StopAndCheckAsync(cluster.ClientUrls(FirstThree));
        var because = Report(result, load);
        moved.LeaderId.Should().Be(target);
        unread.Should().BeEmpty(because);
        result.IsLinearizable.Should().BeTrue(because);

        // Measured, never asserted: the machine is shared, and a pause says as much about its load as about the store.
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"leader transfer {leaderId} -> {target} under load: the call took {(to - from) / 1e6:0} ms; longest write pause around it {pause.TotalMilliseconds:0} ms " +
            $"(election timeout {cluster.ElectionTimeout.TotalMilliseconds:0} ms); {load.FailedWrites.Count} writes failed or timed out"));
    }

    private static string Report(LinearizabilityResult result, MembershipLoad load) =>
        Environment.NewLine + $"{load.OkWrites} writes acknowledged, {load.FailedWrites.Count} failed or unknown; checker: linearizable {result.IsLinearizable}, " +
        $"{result.KeysChecked} keys, {result.OperationsChecked} operations" +
        string.Concat(result.Violations.Take(3).Select(v => Environment.NewLine + v.Key + ": " + v.Explanation)) +
        string.Concat(load.FailedWrites.Take(5).Select(o => Environment.NewLine + $"  {o.Kind} {o.Key} by c{o.Client}: {o.Outcome} {o.Error}"));
}
