using System.Text;
using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Server.Api;

/// <summary>Turns a List call into a state machine query (refusing bad ones with INVALID_ARGUMENT) and a page into the response.</summary>
internal static class ListRequests
{
    public const int DefaultLimit = 1000;

    public const int MaxLimit = 10_000;

    /// <summary>
    /// Values per page before it stops early: with one value of the largest size past it and the keys, a page
    /// stays under the 4 MiB that gRPC clients accept by default.
    /// </summary>
    public const long PageValueBytes = 1 << 20;

    public static ListQuery ToQuery(ListRequest request, ServerSettings settings)
    {
        if (request.Limit > MaxLimit)
        {
            throw Invalid($"limit {request.Limit} is above the most a page holds, {MaxLimit}");
        }

        if (request.Prefix.Length > 0 && (request.Start.Length > 0 || request.End.Length > 0))
        {
            throw Invalid("give a prefix or a range (start, end), not both");
        }

        CheckBound(request.Prefix, "prefix", settings);
        CheckBound(request.Start, "start", settings);
        CheckBound(request.End, "end", settings);
        string? after = null;
        if (request.ContinuationToken.Length > 0)
        {
            after = ContinuationToken.TryDecode(request.ContinuationToken)
                ?? throw Invalid("continuation_token is not one this cluster issued; pass back the token of the previous page unchanged");
        }

        return new ListQuery
        {
            Prefix = request.Prefix,
            Start = request.Start,
            End = request.End.Length > 0 ? request.End : null,
            After = after,
            Limit = request.Limit == 0 ? DefaultLimit : (int)request.Limit,
            KeysOnly = request.KeysOnly,
            MaxValueBytes = PageValueBytes,
        };
    }

    public static ListResponse ToResponse(ListPage page)
    {
        var response = new ListResponse { Revision = page.Revision };
        foreach (var entry in page.Entries)
        {
            response.Entries.Add(new Protos.V1.KeyValueEntry
            {
                Key = entry.Key,
                Value = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(entry.Value),
                Revision = entry.ModRevision,
                CreateRevision = entry.CreateRevision,
                Version = entry.Version,
            });
        }

        if (page.HasMore)
        {
            response.ContinuationToken = ContinuationToken.Encode(page.Entries[^1].Key);
        }

        return response;
    }

    private static void CheckBound(string bound, string name, ServerSettings settings)
    {
        if (bound.Length == 0)
        {
            return;
        }

        // As for keys: a replacement character or lone surrogate means the client's bytes were not valid UTF-8.
        if (bound.Contains('\uFFFD', StringComparison.Ordinal) || !RequestLimits.IsWellFormed(bound))
        {
            throw Invalid($"{name} is not valid UTF-8");
        }

        if (Encoding.UTF8.GetByteCount(bound) > settings.MaxKeyBytes)
        {
            throw Invalid($"{name} is longer than the longest key ({settings.MaxKeyBytes} bytes, max-key-bytes)");
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
