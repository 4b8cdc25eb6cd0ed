namespace ReplicatedKv.StateMachine.Tests;

public sealed class CommandCodecTests
{
    public static TheoryData<string> Names() => new() { "set", "set-if", "set-if-absent", "set-id", "set-all", "remove", "remove-if", "remove-id", "unicode", "big" };

    [Theory]
    [MemberData(nameof(Names))]
    public void Commands_survive_a_round_trip(string name)
    {
        var command = Sample(name);

        var encoded = CommandCodec.Encode(command);
        var decoded = CommandCodec.Decode(encoded);

        encoded.Should().HaveCount(CommandCodec.GetEncodedLength(command));
        encoded[0].Should().Be(CommandCodec.FormatVersion);
        decoded.Should().Be(command);
        decoded.Kind.Should().Be(command.Kind);
        decoded.Key.Should().Be(command.Key);
        decoded.Value.ToArray().Should().Equal(command.Value.ToArray());
        decoded.IfVersion.Should().Be(command.IfVersion);
        decoded.RequestId.Should().Be(command.RequestId);
        CommandCodec.TryDecode(encoded, out var tried).Should().BeTrue();
        tried.Should().Be(command);
    }

    [Fact]
    public void The_encoding_is_compact()
    {
        CommandCodec.Encode(KvCommand.Set("k", "v"u8.ToArray())).Should().HaveCount(7);
        CommandCodec.Encode(KvCommand.Remove("k")).Should().HaveCount(5);
    }

    [Fact]
    public void Decoding_garbage_throws_a_command_format_exception()
    {
        var decode = () => CommandCodec.Decode("not a command"u8);

        decode.Should().Throw<CommandFormatException>().WithMessage("*unknown format byte*");
        CommandCodec.TryDecode("not a command"u8, out _).Should().BeFalse();
    }

    [Fact]
    public void Trailing_bytes_and_truncations_are_rejected()
    {
        var whole = CommandCodec.Encode(Sample("set-all"));

        var withTrailing = whole.Append((byte)0).ToArray();
        FluentActions.Invoking(() => CommandCodec.Decode(withTrailing)).Should().Throw<CommandFormatException>().WithMessage("*trailing*");
        for (var length = 0; length < whole.Length; length++)
        {
            CommandCodec.TryDecode(whole.AsSpan(0, length), out _).Should().BeFalse($"{length} of {whole.Length} bytes");
        }
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_a_command_format_exception()
    {
        var random = new Random(42);
        var valid = CommandCodec.Encode(Sample("set-all"));
        var refused = 0;
        for (var i = 0; i < 10_000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 40)];
                random.NextBytes(bytes);
            }
            else
            {
                // Mutations of a valid command reach deeper into the decoder than pure noise.
                bytes = (byte[])valid.Clone();
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var tried = CommandCodec.TryDecode(bytes, out var command);
            if (tried)
            {
                CommandCodec.Decode(CommandCodec.Encode(command)).Should().Be(command);
            }
            else
            {
                try
                {
                    CommandCodec.Decode(bytes);
                    Assert.Fail("Decode accepted bytes TryDecode refused");
                }
                catch (CommandFormatException)
                {
                    refused++;
                }
            }
        }

        refused.Should().BeGreaterThan(5_000, "almost all noise must be refused");
    }

    [Fact]
    public void A_key_that_is_not_valid_unicode_cannot_be_encoded()
    {
        var loneSurrogate = KvCommand.Set("bad\uD800key", "v"u8.ToArray());

        FluentActions.Invoking(() => CommandCodec.Encode(loneSurrogate)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void An_uninitialised_command_cannot_be_encoded()
    {
        FluentActions.Invoking(() => CommandCodec.Encode(default)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => CommandCodec.Encode(KvCommand.Remove("k", requestId: default(RequestId)))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void A_too_small_destination_is_refused()
    {
        var command = Sample("set-all");
        var destination = new byte[CommandCodec.GetEncodedLength(command) - 1];

        FluentActions.Invoking(() => CommandCodec.Encode(command, destination)).Should().Throw<ArgumentException>();
    }

    private static KvCommand Sample(string name) => name switch
    {
        "set" => KvCommand.Set("key", "value"u8.ToArray()),
        "set-if" => KvCommand.Set("key", "value"u8.ToArray(), ifVersion: 12345678901),
        "set-if-absent" => KvCommand.Set("key", "value"u8.ToArray(), ifVersion: 0),
        "set-id" => KvCommand.Set("key", "value"u8.ToArray(), requestId: new RequestId("client-7", 3)),
        "set-all" => KvCommand.Set("key", "value"u8.ToArray(), ulong.MaxValue, new RequestId("client-7", ulong.MaxValue)),
        "remove" => KvCommand.Remove("key"),
        "remove-if" => KvCommand.Remove("key", ifVersion: 1),
        "remove-id" => KvCommand.Remove("key", requestId: new RequestId("", 0)),
        "unicode" => KvCommand.Set("ключ-鍵-🔑", "значение"u8.ToArray(), requestId: new RequestId("客户", 1)),
        "big" => KvCommand.Set(new string('k', 1000), Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
