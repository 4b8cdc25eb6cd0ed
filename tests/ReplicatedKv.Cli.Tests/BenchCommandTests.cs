using System.Text.Json;

namespace ReplicatedKv.Cli.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class BenchCommandTests(CliFixture fixture)
{
    [Theory]
    [InlineData("set")]
    [InlineData("get")]
    [InlineData("mixed")]
    public async Task Bench_runs_the_requested_count_and_reports_percentiles(string op)
    {
        var run = await CliRun.RunAsync("--endpoints", fixture.Endpoints, "bench", "--op", op, "--clients", "4", "--total", "200",
            "--key-space", "50", "--value-size", "32", "-o", "json");
        run.ExitCode.Should().Be(0, run.Error);
        var root = JsonDocument.Parse(run.Out).RootElement;
        root.GetProperty("ok").GetInt64().Should().Be(200);
        root.GetProperty("errors").GetInt64().Should().Be(0);
        root.GetProperty("throughput").GetDouble().Should().BePositive();
        var latency = root.GetProperty("latency_ms");
        latency.GetProperty("p50").GetDouble().Should().BePositive();
        latency.GetProperty("p99").GetDouble().Should().BeGreaterThanOrEqualTo(latency.GetProperty("p90").GetDouble());
        latency.GetProperty("max").GetDouble().Should().BeGreaterThanOrEqualTo(latency.GetProperty("p99").GetDouble());
    }

    [Fact]
    public async Task Bench_for_a_duration_prints_throughput_and_latency()
    {
        var run = await CliRun.RunAsync("--endpoints", fixture.Endpoints, "bench", "--duration", "1s", "--clients", "2");
        run.ExitCode.Should().Be(0, run.Error);
        run.Out.Should().Contain("throughput:").And.Contain("p50").And.Contain("p99").And.Contain("max");
    }

    [Theory]
    [InlineData("--op", "delete")]
    [InlineData("--clients", "0")]
    [InlineData("--total", "10", "--duration", "1s")]
    public async Task Bad_bench_options_exit_2(params string[] args)
    {
        var run = await CliRun.RunAsync(["--endpoints", fixture.Endpoints, "bench", .. args]);
        run.ExitCode.Should().Be(2);
        run.Error.Should().StartWith("rkvctl: ");
    }
}
