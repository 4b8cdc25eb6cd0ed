namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>Where the test data lives: copied next to the test binaries, and in the source tree for rewriting.</summary>
internal static class SourceTree
{
    private const string SolutionFile = "ReplicatedKv.sln";
    private const string TestDataFolder = "testdata";

    /// <summary>The copy of testdata the build placed next to the test assembly.</summary>
    public static string OutputTestData => Path.Combine(AppContext.BaseDirectory, TestDataFolder);

    /// <summary>
    /// The testdata folder in the checkout, found by walking up from the binaries to the solution file:
    /// rewriting the copy in bin/ would be lost on the next build.
    /// </summary>
    public static string SourceTestData
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                {
                    return Path.Combine(dir.FullName, "tests", "ReplicatedKv.Consensus.Tests", TestDataFolder);
                }
            }

            throw new DirectoryNotFoundException($"no {SolutionFile} above {AppContext.BaseDirectory}");
        }
    }
}
