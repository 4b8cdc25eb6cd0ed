using System.Text;
using System.Text.Json;

namespace ReplicatedKv.Testing.History;

/// <summary>
/// A history as JSON lines: one <see cref="Operation"/> per line, in the order given. A failed run keeps its file as
/// an artifact so that <c>rkv-chaos check FILE</c> can check it again later, with a newer checker if need be.
/// </summary>
public static class HistoryFile
{
    // No BOM: tools that read JSON lines (jq, grep) should see a JSON object on the first line.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes the operations to <paramref name="path"/>, replacing any file there.</summary>
    public static async Task WriteAsync(string path, IEnumerable<Operation> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        await using var writer = new StreamWriter(path, append: false, Utf8) { NewLine = "\n" };
        foreach (var operation in operations)
        {
            await writer.WriteLineAsync(ToJsonLine(operation).AsMemory(), cancellationToken);
        }

        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Reads every operation in the file. Blank lines are skipped.</summary>
    /// <exception cref="InvalidDataException">A line is not an operation; the message names the line.</exception>
    public static IReadOnlyList<Operation> Read(string path)
    {
        var operations = new List<Operation>();
        using var reader = new StreamReader(path, Utf8);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                operations.Add(ParseLine(line, lineNumber, path));
            }
        }

        return operations;
    }

    /// <summary>One operation as a single line of JSON, without the line break (for writers that append as they go).</summary>
    public static string ToJsonLine(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return JsonSerializer.Serialize(operation, HistoryJsonContext.Default.Operation);
    }

    /// <summary>Parses one line written by <see cref="ToJsonLine"/>.</summary>
    /// <exception cref="InvalidDataException">The line is not an operation.</exception>
    public static Operation ParseLine(string line) => ParseLine(line, lineNumber: 1, path: null);

    private static Operation ParseLine(string line, int lineNumber, string? path)
    {
        var where = path is null ? $"line {lineNumber}" : $"{path}:{lineNumber}";
        try
        {
            var operation = JsonSerializer.Deserialize(line, HistoryJsonContext.Default.Operation)
                ?? throw new InvalidDataException($"{where}: null is not an operation");

            // Constructor parameters missing from the JSON arrive as null even where the record says they cannot.
            return operation.Key is null
                ? throw new InvalidDataException($"{where}: an operation needs a key")
                : operation;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: not an operation: {e.Message}", e);
        }
    }
}
