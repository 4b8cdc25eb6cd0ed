namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// Golden interaction tests: each file in testdata/ is a story told as commands and the exact trace they
/// produce. Run with <c>REWRITE=1</c> to regenerate the traces after an intended change, then read the diff.
/// </summary>
public sealed class InteractionTests
{
    public static TheoryData<string> Files()
    {
        var files = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(SourceTree.OutputTestData, "*.txt").Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileName(path));
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Golden_trace_matches(string file)
    {
        var env = new InteractionEnv();
        DataDrivenRunner.RunFile(file, env.Handle);
    }
}
