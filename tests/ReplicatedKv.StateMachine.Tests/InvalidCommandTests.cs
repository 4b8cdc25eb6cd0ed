namespace ReplicatedKv.StateMachine.Tests;

public sealed class InvalidCommandTests
{
    public static TheoryData<byte[]> Garbage() => new()
    {
        Array.Empty<byte>(),
        new byte[] { 0xFF },
        new byte[] { 0x00, 0x01, 0x00, 0x01, (byte)'a', 0x00 },      // unknown format byte
        new byte[] { 0x01, 0x09, 0x00, 0x01, (byte)'a' },            // unknown kind
        new byte[] { 0x01, 0x01, 0x80, 0x01, (byte)'a', 0x00 },      // unknown flag
        new byte[] { 0x01, 0x01, 0x00, 0x05, (byte)'a' },            // key longer than the bytes
        new byte[] { 0x01, 0x02, 0x00, 0x01, 0xC3 },                 // key not UTF-8
        new byte[] { 0x01, 0x02, 0x00, 0x01, (byte)'a', 0x00 },      // trailing byte after a remove
        "hello, world"u8.ToArray(),
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Garbage_applies_as_invalid_and_changes_nothing(byte[] garbage)
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("a", "alpha", id: new RequestId("c", 1)));
        var before = machine.ComputeStateHash();

        machine.Apply(2, [garbage])[0].Should().Be(CommandResult.Invalid);

        machine.ComputeStateHash().Should().Be(before);
        machine.Revision.Should().Be(1);
        machine.AppliedSlot.Should().Be(2);
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Garbage_does_not_disturb_the_rest_of_its_batch(byte[] garbage)
    {
        var machine = new KeyValueStateMachine();

        var results = machine.Apply(1, [Cmd.Set("a", "alpha"), garbage, Cmd.Set("b", "beta")]);

        results.Should().Equal(CommandResult.Ok(1), CommandResult.Invalid, CommandResult.Ok(2));
        machine.Count.Should().Be(2);
    }

    [Fact]
    public void Every_truncation_of_a_valid_command_is_invalid_on_apply()
    {
        var whole = Cmd.Set("key", "value", ifVersion: 3, id: new RequestId("client", 9)).ToArray();
        var machine = new KeyValueStateMachine();

        for (var length = 0; length < whole.Length; length++)
        {
            machine.Apply(length + 1, [whole.AsMemory(0, length)])[0].Should().Be(CommandResult.Invalid, $"{length} of {whole.Length} bytes");
        }

        machine.Count.Should().Be(0);
        machine.Revision.Should().Be(0);
    }
}
