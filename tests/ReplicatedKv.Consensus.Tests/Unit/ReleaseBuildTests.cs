using System.Diagnostics;

namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>
/// The deliberate protocol bugs (ReplicaFaults) exist only in builds with RKV_FAULT_INJECTION, which
/// Directory.Build.props defines for every configuration but Release: a published binary must not carry them.
/// </summary>
public sealed class ReleaseBuildTests
{
    private static readonly string[] FaultTypeFragments = ["Faults"];
    private static readonly string[] FaultMemberNames = ["Faults"];

    [Fact]
    public void A_release_build_of_the_core_has_no_fault_switches()
    {
        var output = Directory.CreateTempSubdirectory("rkv-release-");
        try
        {
            var project = Path.Combine(RepositoryRoot(), "src", "ReplicatedKv.Consensus", "ReplicatedKv.Consensus.csproj");
            Build(project, output.FullName);

            TestOnlySymbols.Find(Path.Combine(output.FullName, "ReplicatedKv.Consensus.dll"), FaultTypeFragments, FaultMemberNames)
                .Should().BeEmpty("Release binaries carry no deliberate protocol bugs");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void The_check_finds_the_fault_switches_in_the_test_build()
    {
        // Guards the checker itself: the Debug assembly under test does have them.
        TestOnlySymbols.Find(typeof(PaxosReplica).Assembly.Location, FaultTypeFragments, FaultMemberNames)
            .Should().Contain("type ReplicaFaults").And.Contain("member ReplicaConfig.Faults");
    }
#endif

    private static void Build(string project, string outputDirectory)
    {
        // No build servers: they would outlive the test and keep its output pipes open.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "build", project, "-c", "Release", "-o", outputDirectory, "--nologo", "--disable-build-servers" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, "dotnet build -c Release must succeed:\n{0}\n{1}", stdout, stderr.Result);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ReplicatedKv.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no ReplicatedKv.sln above {AppContext.BaseDirectory}");
    }
}
