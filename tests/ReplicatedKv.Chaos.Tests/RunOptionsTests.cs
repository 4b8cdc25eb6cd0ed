using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Scenarios;

namespace ReplicatedKv.Chaos.Tests;

public sealed class RunOptionsTests
{
    [Fact]
    public void The_replay_command_parses_back_to_the_same_run()
    {
        var options = RunOptions.Parse(["--scenario", "partition", "--seconds", "600", "--nodes", "5", "--seed", "-17", "--clients", "16"], out var error)!;
        error.Should().BeEmpty();

        var replay = options.ReplayCommand.Split(' ');
        var again = RunOptions.Parse(replay.SkipWhile(a => a != "--").Skip(2).ToArray(), out _)!;

        again.Should().Be(options with { });
        (again.Scenario, again.Seconds, again.Nodes, again.Seed, again.Clients).Should().Be((ScenarioKind.Partition, 600, 5, -17, 16));
    }

    [Theory]
    [InlineData("--netns")]
    [InlineData("--proxy")]
    [InlineData("--loopback")]
    public void A_network_flag_is_kept_in_the_replay_command(string flag)
    {
        var options = RunOptions.Parse(["--scenario", "lost-disk-unsafe-partition", flag], out _)!;

        var again = RunOptions.Parse(options.ReplayCommand.Split(' ').SkipWhile(a => a != "--").Skip(2).ToArray(), out _)!;

        again.Network.Should().Be(options.Network).And.NotBe(NetworkChoice.Auto);
        again.Scenario.Should().Be(ScenarioKind.LostDiskUnsafePartition);
    }

    [Fact]
    public void Without_a_network_flag_the_run_picks_one()
    {
        RunOptions.Parse(["--scenario", "partition"], out _)!.Network.Should().Be(NetworkChoice.Auto);
    }

    [Theory]
    [InlineData("--proxy", "--loopback")]
    [InlineData("--netns", "--proxy")]
    [InlineData("--scenario", "flood")]
    [InlineData("--nodes", "4")]
    [InlineData("--seconds", "0")]
    [InlineData("--clients", "many")]
    [InlineData("--colour", "blue")]
    [InlineData("--seed")]
    public void Bad_arguments_are_usage_errors(params string[] args)
    {
        RunOptions.Parse(args, out var error).Should().BeNull();
        error.Should().NotBeEmpty();
    }
}
