using System.Text;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// A datadriven test file, kept as a sequence of chunks so it can be written back unchanged apart from
/// the expected outputs. Format (after etcd-io/raft's testdata):
/// <code>
/// # comments and blank lines are kept verbatim
/// command arg key=value
/// ----
/// expected output, up to the next blank line or the end of the file
/// </code>
/// </summary>
internal sealed class DataDrivenFile
{
    public const string Separator = "----";

    private readonly List<object> _chunks;

    private DataDrivenFile(List<object> chunks)
    {
        _chunks = chunks;
    }

    public IEnumerable<DataDrivenBlock> Blocks => _chunks.OfType<DataDrivenBlock>();

    public static DataDrivenFile Parse(string fileName, string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var chunks = new List<object>();
        var i = 0;
        while (i < lines.Count)
        {
            var line = lines[i];
            if (IsVerbatim(line))
            {
                chunks.Add(line);
                i++;
                continue;
            }

            var commandLine = i + 1;
            if (i + 1 >= lines.Count || lines[i + 1] != Separator)
            {
                throw new FormatException($"{fileName}:{commandLine}: expected '{Separator}' after the command '{line}'");
            }

            i += 2;
            var expected = new List<string>();
            while (i < lines.Count && lines[i].Length != 0)
            {
                expected.Add(lines[i]);
                i++;
            }

            chunks.Add(new DataDrivenBlock(commandLine, line, string.Join('\n', expected)));
        }

        return new DataDrivenFile(chunks);
    }

    /// <summary>The file with every block's expected output replaced by <paramref name="outputOf"/>.</summary>
    public string Render(Func<DataDrivenBlock, string> outputOf)
    {
        var text = new StringBuilder();
        foreach (var chunk in _chunks)
        {
            if (chunk is DataDrivenBlock block)
            {
                text.Append(block.CommandText).Append('\n');
                text.Append(Separator).Append('\n');
                text.Append(outputOf(block)).Append('\n');
            }
            else
            {
                text.Append((string)chunk).Append('\n');
            }
        }

        return text.ToString();
    }

    private static bool IsVerbatim(string line) => line.Trim().Length == 0 || line.StartsWith('#');
}

/// <summary>One command and the output it is expected to produce; <see cref="LineNumber"/> is 1-based.</summary>
internal sealed record DataDrivenBlock(int LineNumber, string CommandText, string Expected);
