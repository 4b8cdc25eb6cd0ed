namespace ReplicatedKv.LocalCluster;

/// <summary>
/// The one writer of the launcher's console. Node output arrives on several threads; each line is written whole,
/// prefixed with its node id (like docker-compose), so lines of different nodes never interleave mid-line.
/// </summary>
internal sealed class ConsoleOutput(int prefixWidth)
{
    // Colours only for a terminal, and not when the user opted out (https://no-color.org).
    private static readonly bool UseColour =
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    private static readonly string[] Colours = ["\e[36m", "\e[33m", "\e[32m", "\e[35m", "\e[34m"];

    private readonly Lock _gate = new();

    /// <summary>A line the launcher itself says.</summary>
    public void Say(string message) => Write(Console.Out, "rkv-local: " + message + Environment.NewLine);

    public void Warn(string message) => Write(Console.Error, "rkv-local: " + message + Environment.NewLine);

    /// <summary>Several lines written as one block (the ready table), so node output cannot split it.</summary>
    public void Block(string text) => Write(Console.Out, text);

    public void NodeLine(int index, string nodeId, string line, bool isError)
    {
        var prefix = nodeId.PadRight(prefixWidth) + " | ";
        if (UseColour)
        {
            prefix = Colours[index % Colours.Length] + prefix + "\e[0m";
        }

        Write(isError ? Console.Error : Console.Out, prefix + line + Environment.NewLine);
    }

    private void Write(TextWriter writer, string text)
    {
        lock (_gate)
        {
            writer.Write(text);
            writer.Flush();
        }
    }
}
