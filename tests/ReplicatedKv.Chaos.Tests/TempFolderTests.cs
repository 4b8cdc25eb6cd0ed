using System.Diagnostics;
using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Scenarios;
using Xunit.Abstractions;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// A run that passes leaves nothing in the temp folder: not its run-number claim, not the runtime's diagnostics
/// sockets of nodes it killed with -9. The run is a separate rkv-chaos process with TMPDIR pointing at a folder of
/// its own, so whatever the harness, the nodes and the runtime put in "the temp folder" lands there and nothing else
/// on the machine does.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class TempFolderTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_passing_partition_run_over_proxies_leaves_the_temp_folder_empty()
    {
        var temp = Directory.CreateTempSubdirectory("rkv-chaos-tmpdir-").FullName;
        var artifacts = Directory.CreateTempSubdirectory("rkv-chaos-artifacts-").FullName;
        try
        {
            var (exitCode, text) = await RunChaosAsync(temp, ["run", "--scenario", "partition", "--proxy", "--seconds", "5", "--artifacts", artifacts]);
            output.WriteLine(text);

            exitCode.Should().Be(0, "the run must pass for this to say anything" + Environment.NewLine + text);
            Directory.EnumerateFileSystemEntries(temp, "*", SearchOption.AllDirectories).Should().BeEmpty(text);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
            Directory.Delete(artifacts, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunChaosAsync(string temp, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(ServerBinary.Locate().DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(typeof(RunOptions).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TMPDIR"] = temp;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
