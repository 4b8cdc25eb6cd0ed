using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Tests;

public sealed class HistoryFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rkv-history-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Every_field_survives_a_write_and_read()
    {
        Operation[] operations =
        [
            new(1, 0, "k", OperationKind.Set, "v1", null, 10, 20, OperationOutcome.Ok, Version: 7),
            new(2, 1, "k", OperationKind.Get, null, null, 15, 25, OperationOutcome.Ok, Found: true, ReadValue: "v1", Version: 7),
            new(3, 2, "k", OperationKind.Set, "v3", 0, 30, 40, OperationOutcome.VersionMismatch, Version: 7),
            new(4, 3, "j", OperationKind.Remove, null, 7, 31, null, OperationOutcome.Unknown, Error: "deadline exceeded"),
            new(5, 4, "j", OperationKind.Remove, null, null, 50, 51, OperationOutcome.Failed, Error: "unavailable"),
            new(6, 5, "k", OperationKind.Get, null, null, 60, 61, OperationOutcome.Ok, Found: false),
            new(long.MaxValue, int.MaxValue, "ключ \"quoted\"\n", OperationKind.Set, "värde", ulong.MaxValue, long.MinValue, long.MaxValue, OperationOutcome.Ok, Version: ulong.MaxValue),
        ];
        var path = Path.Combine(_directory, "history.jsonl");

        await HistoryFile.WriteAsync(path, operations);

        HistoryFile.Read(path).Should().Equal(operations);
        File.ReadAllLines(path).Should().HaveCount(operations.Length);
    }

    [Fact]
    public void Enums_are_written_as_names_and_nulls_are_left_out()
    {
        var line = HistoryFile.ToJsonLine(new Operation(4, 3, "j", OperationKind.Remove, null, null, 31, null, OperationOutcome.Unknown));

        line.Should().Contain("\"kind\":\"Remove\"").And.Contain("\"outcome\":\"Unknown\"");
        line.Should().NotContain("null").And.NotContain("\n");
        HistoryFile.ParseLine(line).Should().Be(new Operation(4, 3, "j", OperationKind.Remove, null, null, 31, null, OperationOutcome.Unknown));
    }

    [Fact]
    public void Blank_lines_are_skipped()
    {
        var path = Path.Combine(_directory, "blank.jsonl");
        var operation = new Operation(1, 0, "k", OperationKind.Get, null, null, 1, 2, OperationOutcome.Ok);
        File.WriteAllText(path, "\n" + HistoryFile.ToJsonLine(operation) + "\n\n");

        HistoryFile.Read(path).Should().Equal(operation);
    }

    [Theory]
    [InlineData("{\"id\":1,")]
    [InlineData("{\"id\":1,\"kind\":\"Frobnicate\",\"key\":\"k\"}")]
    [InlineData("{\"id\":1,\"kind\":\"Get\",\"outcome\":\"Ok\"}")]
    [InlineData("null")]
    public void A_line_that_is_not_an_operation_is_reported_with_its_line_number(string bad)
    {
        var path = Path.Combine(_directory, "bad.jsonl");
        var good = HistoryFile.ToJsonLine(new Operation(1, 0, "k", OperationKind.Get, null, null, 1, 2, OperationOutcome.Ok));
        File.WriteAllLines(path, [good, bad]);

        var read = () => HistoryFile.Read(path);

        read.Should().Throw<InvalidDataException>().WithMessage($"{path}:2: *");
    }
}
