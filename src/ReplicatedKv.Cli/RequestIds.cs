using System.Globalization;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>
/// Request ids on the command line, <c>CLIENT:SEQUENCE</c>. The cluster remembers the latest request of each
/// client id and answers a repeat of it with the first result, so a write sent again under the same id is applied
/// at most once.
/// </summary>
internal static class RequestIds
{
    public const string Example = "rkvctl-3f9c2a71d0e4b5c6:1";

    /// <summary>A fresh id: a random client id of this run, sequence 1.</summary>
    public static RequestId New() => new() { ClientId = "rkvctl-" + Guid.NewGuid().ToString("N")[..16], Sequence = 1 };

    public static string Format(RequestId id) => $"{id.ClientId}:{id.Sequence.ToString(CultureInfo.InvariantCulture)}";

    // The sequence follows the last colon, so a client id may itself hold colons.
    public static bool TryParse(string text, out RequestId id)
    {
        id = new RequestId();
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ulong.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence == 0)
        {
            return false;
        }

        id = new RequestId { ClientId = text[..colon], Sequence = sequence };
        return true;
    }
}
