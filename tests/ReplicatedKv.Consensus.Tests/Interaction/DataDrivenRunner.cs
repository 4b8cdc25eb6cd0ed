using System.Text;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// Runs every block of a datadriven file through a handler and compares the output exactly. With
/// <c>REWRITE=1</c> in the environment it writes the actual outputs back to the source file instead
/// (like etcd's <c>-rewrite</c>); review the diff before committing it.
/// </summary>
internal static class DataDrivenRunner
{
    public static bool RewriteRequested => Environment.GetEnvironmentVariable("REWRITE") == "1";

    public static void RunFile(string fileName, Func<DataDrivenCommand, string> handler)
    {
        var rewrite = RewriteRequested;
        var path = Path.Combine(rewrite ? SourceTree.SourceTestData : SourceTree.OutputTestData, fileName);
        var file = DataDrivenFile.Parse(fileName, File.ReadAllText(path));
        var actual = new Dictionary<DataDrivenBlock, string>();
        var mismatches = new List<string>();
        foreach (var block in file.Blocks)
        {
            var output = RunBlock(fileName, block, handler);
            actual[block] = output;
            if (output != block.Expected)
            {
                mismatches.Add(DescribeMismatch(fileName, block, output));
            }
        }

        if (rewrite)
        {
            File.WriteAllText(path, file.Render(block => actual[block]));
            return;
        }

        if (mismatches.Count > 0)
        {
            Assert.Fail(
                $"{mismatches.Count} block(s) of {fileName} differ; run with REWRITE=1 to accept the actual output.\n\n" +
                string.Join("\n\n", mismatches));
        }
    }

    private static string RunBlock(string fileName, DataDrivenBlock block, Func<DataDrivenCommand, string> handler)
    {
        // Say where a command blew up: the stack trace alone does not name the line of the test file.
        string output;
        try
        {
            output = handler(DataDrivenCommand.Parse(block.CommandText));
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"{fileName}:{block.LineNumber}: '{block.CommandText}' failed: {ex.Message}", ex);
        }

        // A blank line would end the block when the file is read back.
        if (output.Split('\n').Any(line => line.Trim().Length == 0))
        {
            throw new InvalidOperationException($"{fileName}:{block.LineNumber}: output of '{block.CommandText}' has a blank line");
        }

        return output;
    }

    private static string DescribeMismatch(string fileName, DataDrivenBlock block, string actual)
    {
        var expectedLines = block.Expected.Split('\n');
        var actualLines = actual.Split('\n');
        var first = 0;
        while (first < expectedLines.Length && first < actualLines.Length && expectedLines[first] == actualLines[first])
        {
            first++;
        }

        var text = new StringBuilder();
        text.Append(fileName).Append(':').Append(block.LineNumber).Append(": ").Append(block.CommandText).Append('\n');
        text.Append("first difference at output line ").Append(first + 1).Append('\n');
        text.Append("  expected: ").Append(first < expectedLines.Length ? expectedLines[first] : "<end of output>").Append('\n');
        text.Append("  actual:   ").Append(first < actualLines.Length ? actualLines[first] : "<end of output>").Append('\n');
        text.Append("actual output:\n").Append(actual);
        return text.ToString();
    }
}
