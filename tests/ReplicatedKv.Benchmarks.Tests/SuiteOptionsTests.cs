using ReplicatedKv.Benchmarks.Suite;

namespace ReplicatedKv.Benchmarks.Tests;

/// <summary>The suite's command line: the issue's matrix by default, bad input refused with a one-line reason.</summary>
public sealed class SuiteOptionsTests
{
    [Fact]
    public void Defaults_are_the_issues_matrix()
    {
        var options = SuiteOptions.Parse([], out var problem)!;

        problem.Should().BeEmpty();
        options.Nodes.Should().Equal(3, 5);
        options.Clients.Should().Equal(1, 16, 64, 256, 1000);
        options.Workloads.Should().Equal(Workload.Set, Workload.Get, Workload.SerializableGet, Workload.Mixed);
        options.Targets.Should().Equal("ceiling", "replicatedkv", "etcd");
        options.ValueBytes.Should().Be(256);
    }

    [Fact]
    public void Options_override_the_defaults_and_quick_shrinks_what_is_not_given()
    {
        var options = SuiteOptions.Parse(["--quick", "--nodes", "3", "--clients", "256,1000", "--workloads", "sget,mixed", "--seconds", "0.5"], out _)!;

        options.Quick.Should().BeTrue();
        options.Nodes.Should().Equal(3);
        options.Clients.Should().Equal(256, 1000);
        options.Workloads.Should().Equal(Workload.SerializableGet, Workload.Mixed);
        options.Duration.Should().Be(TimeSpan.FromSeconds(0.5));
        options.WarmUp.Should().Be(TimeSpan.FromSeconds(0.5), "--quick's warm-up, as none was given");
    }

    [Theory]
    [InlineData("--clients abc", "--clients abc: expected whole numbers")]
    [InlineData("--clients 0", "--clients 0: expected whole numbers from 1")]
    [InlineData("--workloads put", "unknown workload 'put'")]
    [InlineData("--targets redis", "unknown target 'redis'")]
    [InlineData("--seconds -1", "expected seconds")]
    [InlineData("--seconds", "--seconds needs a value")]
    [InlineData("--color red", "unknown option --color")]
    public void Bad_input_is_refused_with_the_reason(string args, string reason)
    {
        SuiteOptions.Parse(args.Split(' '), out var problem).Should().BeNull();
        problem.Should().Contain(reason).And.NotContain("\n");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(16, 1)]
    [InlineData(64, 4)]
    [InlineData(256, 16)]
    [InlineData(1000, 100)]
    public void Clients_share_one_connection_per_16_and_one_per_10_from_1000(int clients, int connections)
    {
        SuiteOptions.ConnectionsFor(clients).Should().Be(connections);
    }

    [Fact]
    public void A_mixed_client_sets_about_one_time_in_ten()
    {
        var random = new Random(7);
        var sets = Enumerable.Range(0, 10_000).Count(_ => Workload.Mixed.NextIsSet(random));

        sets.Should().BeInRange(900, 1100);
        Workload.Set.NextIsSet(random).Should().BeTrue();
        Workload.Get.NextIsSet(random).Should().BeFalse();
    }
}
