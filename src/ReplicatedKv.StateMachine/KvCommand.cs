namespace ReplicatedKv.StateMachine;

/// <summary>
/// A decoded client command: the unit the state machine applies. The log carries it as the bytes of
/// <see cref="CommandCodec"/>; this is what those bytes mean.
/// </summary>
/// <remarks>
/// Equality compares the value bytes, not the memory they live in, so a command equals its round-tripped copy.
/// </remarks>
public readonly struct KvCommand : IEquatable<KvCommand>
{
    private KvCommand(CommandKind kind, string key, ReadOnlyMemory<byte> value, ulong? ifVersion, RequestId? requestId)
    {
        ArgumentNullException.ThrowIfNull(key);
        Kind = kind;
        Key = key;
        Value = value;
        IfVersion = ifVersion;
        RequestId = requestId;
    }

    public CommandKind Kind { get; }

    public string Key { get; }

    /// <summary>The bytes to store; always empty for <see cref="CommandKind.Remove"/>.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>
    /// The compare-on-version guard: null applies unconditionally; 0 applies only if the key is absent; any
    /// other number applies only if the key exists with exactly that version.
    /// </summary>
    public ulong? IfVersion { get; }

    /// <summary>Identifies the request for exactly-once retries; null when the client does not retry safely.</summary>
    public RequestId? RequestId { get; }

    public static KvCommand Set(string key, ReadOnlyMemory<byte> value, ulong? ifVersion = null, RequestId? requestId = null) =>
        new(CommandKind.Set, key, value, ifVersion, requestId);

    public static KvCommand Remove(string key, ulong? ifVersion = null, RequestId? requestId = null) =>
        new(CommandKind.Remove, key, ReadOnlyMemory<byte>.Empty, ifVersion, requestId);

    public static bool operator ==(KvCommand left, KvCommand right) => left.Equals(right);

    public static bool operator !=(KvCommand left, KvCommand right) => !left.Equals(right);

    public bool Equals(KvCommand other) =>
        Kind == other.Kind &&
        string.Equals(Key, other.Key, StringComparison.Ordinal) &&
        IfVersion == other.IfVersion &&
        Nullable.Equals(RequestId, other.RequestId) &&
        Value.Span.SequenceEqual(other.Value.Span);

    public override bool Equals(object? obj) => obj is KvCommand other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, Key, IfVersion, RequestId, Value.Length);

    public override string ToString() =>
        $"{Kind} {Key} ({Value.Length} bytes) ifVersion={IfVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} request={RequestId?.ToString() ?? "-"}";
}
