namespace ReplicatedKv.StateMachine;

/// <summary>
/// The bytes a command travels as, through proposals, the log and peers. Compact and versioned:
/// <code>
/// [u8 format = 1][u8 kind][u8 flags: 1 = has ifVersion, 2 = has request id]
/// [varint key length][key, UTF-8]
/// [varint ifVersion]                                      if flag 1
/// [varint client id length][client id, UTF-8][varint seq]  if flag 2
/// [varint value length][value]                            Set only
/// </code>
/// Numbers are unsigned LEB128. Decoding is strict (unknown format, kind or flags, invalid UTF-8, short or
/// trailing bytes all fail) so that every replica reads the same bytes the same way.
/// </summary>
public static class CommandCodec
{
    /// <summary>The leading byte of the current format; a new layout gets a new number and this codec keeps reading old ones.</summary>
    public const byte FormatVersion = 1;

    private const byte HasIfVersion = 1;
    private const byte HasRequestId = 2;
    private const byte KnownFlags = HasIfVersion | HasRequestId;
    private const int FixedHeaderLength = 3;

    /// <summary>Exact encoded size of <paramref name="command"/>.</summary>
    public static int GetEncodedLength(in KvCommand command)
    {
        Validate(command);
        var keyBytes = StrictUtf8.GetByteCount(command.Key, nameof(command));
        var length = FixedHeaderLength + Varint.Length((ulong)keyBytes) + keyBytes;
        if (command.IfVersion is { } ifVersion)
        {
            length += Varint.Length(ifVersion);
        }

        if (command.RequestId is { } id)
        {
            var clientBytes = StrictUtf8.GetByteCount(id.ClientId, nameof(command));
            length += Varint.Length((ulong)clientBytes) + clientBytes + Varint.Length(id.Sequence);
        }

        if (command.Kind == CommandKind.Set)
        {
            length += Varint.Length((ulong)command.Value.Length) + command.Value.Length;
        }

        return length;
    }

    public static byte[] Encode(in KvCommand command)
    {
        var bytes = new byte[GetEncodedLength(command)];
        var written = Encode(command, bytes);
        return written == bytes.Length ? bytes : throw new InvalidOperationException("encoded length disagrees with the computed length");
    }

    /// <summary>Writes <paramref name="command"/> into <paramref name="destination"/> (at least <see cref="GetEncodedLength"/> bytes); returns the bytes written.</summary>
    public static int Encode(in KvCommand command, Span<byte> destination)
    {
        var needed = GetEncodedLength(command);
        if (destination.Length < needed)
        {
            throw new ArgumentException($"the destination holds {destination.Length} bytes; the command needs {needed}", nameof(destination));
        }

        destination[0] = FormatVersion;
        destination[1] = (byte)command.Kind;
        destination[2] = (byte)((command.IfVersion.HasValue ? HasIfVersion : 0) | (command.RequestId.HasValue ? HasRequestId : 0));
        var position = FixedHeaderLength;
        position += WriteString(destination[position..], command.Key);
        if (command.IfVersion is { } ifVersion)
        {
            position += Varint.Write(destination[position..], ifVersion);
        }

        if (command.RequestId is { } id)
        {
            position += WriteString(destination[position..], id.ClientId);
            position += Varint.Write(destination[position..], id.Sequence);
        }

        if (command.Kind == CommandKind.Set)
        {
            position += Varint.Write(destination[position..], (ulong)command.Value.Length);
            command.Value.Span.CopyTo(destination[position..]);
            position += command.Value.Length;
        }

        return position;
    }

    /// <summary>Decodes a command; throws <see cref="CommandFormatException"/> naming what is wrong with the bytes.</summary>
    public static KvCommand Decode(ReadOnlySpan<byte> encoded)
    {
        var error = TryDecodeCore(encoded, out var command);
        return error is null ? command : throw new CommandFormatException($"not a command ({encoded.Length} bytes): {error}");
    }

    /// <summary>Decodes a command without throwing: the apply path, where garbage is an outcome, not an error.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, out KvCommand command) => TryDecodeCore(encoded, out command) is null;

    /// <summary>Returns null on success, else a fixed description of the first problem found.</summary>
    private static string? TryDecodeCore(ReadOnlySpan<byte> encoded, out KvCommand command)
    {
        command = default;
        if (encoded.Length < FixedHeaderLength)
        {
            return "shorter than the fixed header";
        }

        if (encoded[0] != FormatVersion)
        {
            return "unknown format byte";
        }

        var kind = (CommandKind)encoded[1];
        if (kind is not (CommandKind.Set or CommandKind.Remove))
        {
            return "unknown command kind";
        }

        var flags = encoded[2];
        if ((flags & ~KnownFlags) != 0)
        {
            return "unknown flags";
        }

        var rest = encoded[FixedHeaderLength..];
        var error = ReadString(ref rest, out var key, "truncated or malformed key", "key is not valid UTF-8");
        if (error is not null)
        {
            return error;
        }

        ulong? ifVersion = null;
        if ((flags & HasIfVersion) != 0)
        {
            if (!ReadNumber(ref rest, out var expected))
            {
                return "truncated or malformed ifVersion";
            }

            ifVersion = expected;
        }

        RequestId? requestId = null;
        if ((flags & HasRequestId) != 0)
        {
            error = ReadString(ref rest, out var clientId, "truncated or malformed client id", "client id is not valid UTF-8");
            if (error is not null)
            {
                return error;
            }

            if (!ReadNumber(ref rest, out var sequence))
            {
                return "truncated or malformed request sequence";
            }

            requestId = new RequestId(clientId, sequence);
        }

        if (kind == CommandKind.Set)
        {
            if (!ReadNumber(ref rest, out var valueLength) || valueLength > (ulong)rest.Length)
            {
                return "truncated or malformed value";
            }

            var value = valueLength == 0 ? [] : rest[..(int)valueLength].ToArray();
            rest = rest[(int)valueLength..];
            command = KvCommand.Set(key, value, ifVersion, requestId);
        }
        else
        {
            command = KvCommand.Remove(key, ifVersion, requestId);
        }

        return rest.IsEmpty ? null : "trailing bytes after the command";
    }

    private static void Validate(in KvCommand command)
    {
        if (command.Key is null || command.Kind is not (CommandKind.Set or CommandKind.Remove) || command.RequestId is { ClientId: null })
        {
            throw new ArgumentException("the command or its request id is uninitialised; create them with KvCommand.Set, KvCommand.Remove and new RequestId(...)", nameof(command));
        }
    }

    private static int WriteString(Span<byte> destination, string text)
    {
        var byteCount = StrictUtf8.Encoding.GetByteCount(text);
        var position = Varint.Write(destination, (ulong)byteCount);
        return position + StrictUtf8.Encoding.GetBytes(text, destination[position..]);
    }

    private static bool ReadNumber(ref ReadOnlySpan<byte> source, out ulong value)
    {
        var consumed = Varint.TryRead(source, out value);
        if (consumed <= 0)
        {
            return false;
        }

        source = source[consumed..];
        return true;
    }

    private static string? ReadString(ref ReadOnlySpan<byte> source, out string text, string truncated, string notUtf8)
    {
        text = string.Empty;
        if (!ReadNumber(ref source, out var length) || length > (ulong)source.Length)
        {
            return truncated;
        }

        var decoded = StrictUtf8.TryDecode(source[..(int)length]);
        if (decoded is null)
        {
            return notUtf8;
        }

        text = decoded;
        source = source[(int)length..];
        return null;
    }
}
