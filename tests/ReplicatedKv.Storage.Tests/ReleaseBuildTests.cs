using System.Diagnostics;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// The failpoints (a SIGKILL inside a log write) are test equipment: the Release build of the storage library, the
/// one the deploy image publishes, must not contain them, while the builds the chaos runs start do.
/// </summary>
public sealed class ReleaseBuildTests
{
    private const string FailpointType = "Failpoints";

    [Fact]
    public async Task The_release_build_of_the_storage_library_has_no_failpoints_and_the_build_under_test_does_where_fault_injection_is_on()
    {
        using var output = new TempDirectory();
        var project = Path.Combine(RepositoryRoot(), "src", "ReplicatedKv.Storage", "ReplicatedKv.Storage.csproj");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "build", project, "-c", "Release", "-o", output.Path, "--nologo", "-v", "q", "--disable-build-servers" })
        {
            start.ArgumentList.Add(argument);
        }

        // The test host may run inside an MSBuild invocation (dotnet test): the child build must not inherit its settings.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        using var build = Process.Start(start)!;
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        build.ExitCode.Should().Be(0, "the Release build must succeed: " + await stdout + await stderr);

        HasType(Path.Combine(output.Path, "ReplicatedKv.Storage.dll"), FailpointType).Should().BeFalse("Release never carries the failpoints");

        // The same check on the assembly under test, so it is known to find the type where it is.
#if RKV_FAULT_INJECTION
        HasType(typeof(WriteAheadLog).Assembly.Location, FailpointType).Should().BeTrue("this build defines RKV_FAULT_INJECTION");
#else
        HasType(typeof(WriteAheadLog).Assembly.Location, FailpointType).Should().BeFalse("this build does not define RKV_FAULT_INJECTION");
#endif
    }

    private static bool HasType(string assembly, string name)
    {
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        return metadata.TypeDefinitions.Any(handle => metadata.GetString(metadata.GetTypeDefinition(handle).Name) == name);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ReplicatedKv.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no ReplicatedKv.sln above {AppContext.BaseDirectory}");
    }
}
