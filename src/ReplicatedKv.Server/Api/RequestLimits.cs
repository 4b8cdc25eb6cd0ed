using System.Text;
using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Server.Api;

/// <summary>Checks client input before it reaches the node; every refusal is INVALID_ARGUMENT naming the limit.</summary>
internal sealed class RequestLimits(ServerSettings settings)
{
    /// <summary>Longest client id in a request id (the same limit the leader checks on forwarded commands).</summary>
    public const int MaxClientIdBytes = StateMachine.CommandLimits.MaxClientIdBytes;

    public void CheckKey(string key)
    {
        if (key.Length == 0)
        {
            throw Invalid("key is empty; keys are 1 to " + settings.MaxKeyBytes + " bytes of UTF-8");
        }

        // The protobuf runtime decodes malformed UTF-8 to U+FFFD instead of failing, and lone surrogates cannot
        // be encoded back: either way the bytes the client sent are not the key it would get back.
        if (key.Contains('\uFFFD', StringComparison.Ordinal) || !IsWellFormed(key))
        {
            throw Invalid("key is not valid UTF-8");
        }

        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > settings.MaxKeyBytes)
        {
            throw Invalid($"key is {bytes} bytes; the limit is {settings.MaxKeyBytes} (max-key-bytes)");
        }
    }

    public void CheckValue(int length)
    {
        if (length > settings.MaxValueBytes)
        {
            throw Invalid($"value is {length} bytes; the limit is {settings.MaxValueBytes} (max-value-bytes)");
        }
    }

    public static StateMachine.RequestId? ToRequestId(RequestId? id)
    {
        if (id is null)
        {
            return null;
        }

        if (id.ClientId.Length == 0 || id.Sequence == 0)
        {
            throw Invalid("request_id needs a non-empty client_id and a sequence above 0");
        }

        if (Encoding.UTF8.GetByteCount(id.ClientId) > MaxClientIdBytes || id.ClientId.Contains('\uFFFD', StringComparison.Ordinal) || !IsWellFormed(id.ClientId))
        {
            throw Invalid($"request_id.client_id must be valid UTF-8 of at most {MaxClientIdBytes} bytes");
        }

        return new StateMachine.RequestId(id.ClientId, id.Sequence);
    }

    public static bool IsLinearizable(ReadConsistency consistency) => consistency switch
    {
        ReadConsistency.Linearizable => true,
        ReadConsistency.Serializable => false,
        _ => throw Invalid($"consistency {(int)consistency} is not a known ReadConsistency"),
    };

    /// <summary>True when <paramref name="text"/> has no lone surrogate, so it encodes to UTF-8 exactly.</summary>
    internal static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
