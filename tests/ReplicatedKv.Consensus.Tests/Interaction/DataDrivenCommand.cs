using System.Globalization;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// One command line of a datadriven block: <c>name pos1 pos2 key=value key=v1,v2</c>. Words with an
/// <c>=</c> are named arguments, the rest positional. Handlers declare the names they understand, so a
/// typo in a test file fails loudly instead of being silently ignored.
/// </summary>
internal sealed class DataDrivenCommand
{
    private readonly Dictionary<string, string> _named;

    private DataDrivenCommand(string text, string name, IReadOnlyList<string> positional, Dictionary<string, string> named)
    {
        Text = text;
        Name = name;
        Positional = positional;
        _named = named;
    }

    /// <summary>The command line exactly as written.</summary>
    public string Text { get; }

    public string Name { get; }

    public IReadOnlyList<string> Positional { get; }

    public static DataDrivenCommand Parse(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            throw new FormatException("empty command line");
        }

        var positional = new List<string>();
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in words.Skip(1))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                positional.Add(word);
            }
            else if (!named.TryAdd(word[..equals], word[(equals + 1)..]))
            {
                throw new FormatException($"argument '{word[..equals]}' given twice");
            }
        }

        return new DataDrivenCommand(line, words[0], positional, named);
    }

    /// <summary>Fails unless the positional count is in range and every named argument is one of <paramref name="names"/>.</summary>
    public void Expect(int minPositional, int maxPositional, params string[] names)
    {
        if (Positional.Count < minPositional || Positional.Count > maxPositional)
        {
            throw new FormatException(
                $"'{Name}' takes {minPositional}..{maxPositional} positional arguments, got {Positional.Count}");
        }

        foreach (var key in _named.Keys)
        {
            if (!names.Contains(key, StringComparer.Ordinal))
            {
                throw new FormatException($"'{Name}' does not understand '{key}='");
            }
        }
    }

    public int PositionalInt(int index) => ParseInt(Positional[index]);

    public IReadOnlyList<int> PositionalInts(int from = 0) => Positional.Skip(from).Select(ParseInt).ToArray();

    public int NamedInt(string name, int defaultValue) =>
        _named.TryGetValue(name, out var value) ? ParseInt(value) : defaultValue;

    public string NamedString(string name, string defaultValue) => _named.GetValueOrDefault(name, defaultValue);

    /// <summary>A comma-separated list such as <c>drop=2,3</c>; empty when the argument is absent.</summary>
    public IReadOnlyList<int> NamedInts(string name) =>
        _named.TryGetValue(name, out var value)
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseInt).ToArray()
            : [];

    private static int ParseInt(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a number");
}
