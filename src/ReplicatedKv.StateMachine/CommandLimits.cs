using System.Text;

namespace ReplicatedKv.StateMachine;

/// <summary>
/// The largest key, value and client id a command may carry. The client API checks them on what clients send; the
/// leader checks them again on what members forward, since an authenticated member can still be buggy.
/// </summary>
public sealed record CommandLimits(int MaxKeyBytes, int MaxValueBytes)
{
    /// <summary>Longest client id in a request id; the state machine keeps one per client.</summary>
    public const int MaxClientIdBytes = 128;

    /// <summary>The server's defaults (max-key-bytes, max-value-bytes).</summary>
    public static CommandLimits Default { get; } = new(1024, 1 << 20);

    /// <summary>Null when <paramref name="command"/> is within the limits, else which limit it breaks.</summary>
    public string? Check(in KvCommand command)
    {
        if (command.Key.Length == 0)
        {
            return "empty key";
        }

        if (Encoding.UTF8.GetByteCount(command.Key) > MaxKeyBytes)
        {
            return $"key over {MaxKeyBytes} bytes";
        }

        if (command.Value.Length > MaxValueBytes)
        {
            return $"value over {MaxValueBytes} bytes";
        }

        return command.RequestId is { } id && (id.ClientId.Length == 0 || id.Sequence == 0 || Encoding.UTF8.GetByteCount(id.ClientId) > MaxClientIdBytes)
            ? $"request id not a client id of 1 to {MaxClientIdBytes} bytes with a sequence above 0"
            : null;
    }
}
