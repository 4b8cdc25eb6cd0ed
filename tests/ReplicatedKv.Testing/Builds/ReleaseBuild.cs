using System.Diagnostics;

namespace ReplicatedKv.Testing.Builds;

/// <summary>
/// Builds one of the repository's projects in Release, the configuration the deploy image publishes, so a test
/// can check what the shipped assembly contains (see <see cref="TestOnlySymbols"/>).
/// </summary>
public static class ReleaseBuild
{
    /// <summary>
    /// Builds <c>src/{project}/{project}.csproj</c> in Release into a temporary directory and lists the test-only
    /// symbols its assembly holds (see <see cref="TestOnlySymbols.Find"/>); throws with the build's output if the build fails.
    /// </summary>
    public static IReadOnlyList<string> TestOnlySymbolsIn(string project, IReadOnlyCollection<string> typeNameFragments, IReadOnlyCollection<string> memberNames)
    {
        var output = Directory.CreateTempSubdirectory("rkv-release-");
        try
        {
            return TestOnlySymbols.Find(Build(project, output.FullName), typeNameFragments, memberNames);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static string Build(string project, string outputDirectory)
    {
        var projectFile = Path.Combine(RepositoryRoot(), "src", project, project + ".csproj");

        // No build servers: they would outlive the test and keep its output pipes open.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "build", projectFile, "-c", "Release", "-o", outputDirectory, "--nologo", "-v", "q", "--disable-build-servers" })
        {
            start.ArgumentList.Add(argument);
        }

        // The test host may run inside an MSBuild invocation (dotnet test): the child build must not inherit its settings.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet build -c Release of {project} failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        }

        return Path.Combine(outputDirectory, project + ".dll");
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
