using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// The ceiling: the ReplicatedKv client contract served from a plain hash table (no log, no peers, no fsync), run
/// as its own process (<c>ceiling-host --port N</c>) with Kestrel set up as rkv-server's client port is (HTTP/2 only,
/// 1,024 streams per connection), so a row against it pays the same process, loopback and HTTP/2 costs as a row
/// against a node. It is benchmark-only on purpose: not a mode of rkv-server.
/// </summary>
internal static class CeilingHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var index = Array.IndexOf(args, "--port");
        if (index < 0 || index + 1 >= args.Length || !int.TryParse(args[index + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            await Console.Error.WriteLineAsync("usage: ceiling-host --port N").ConfigureAwait(false);
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc(o => o.EnableDetailedErrors = false);
        builder.Services.AddSingleton<HashTableKeyValue>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(System.Net.IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2);
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
            kestrel.AddServerHeader = false;
        });
        await using var app = builder.Build();
        app.MapGrpcService<HashTableKeyValue>();
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>Each call answered at once from one concurrent dictionary; revisions from one counter.</summary>
    internal sealed class HashTableKeyValue : KeyValue.KeyValueBase
    {
        private readonly ConcurrentDictionary<string, (ByteString Value, ulong Revision)> _table = new(StringComparer.Ordinal);
        private long _revision;

        public override Task<GetResponse> Get(GetRequest request, ServerCallContext context) =>
            Task.FromResult(_table.TryGetValue(request.Key, out var entry)
                ? new GetResponse { Found = true, Value = entry.Value, Revision = entry.Revision, CreateRevision = entry.Revision, Version = 1 }
                : new GetResponse());

        public override Task<SetResponse> Set(SetRequest request, ServerCallContext context)
        {
            var revision = (ulong)Interlocked.Increment(ref _revision);
            _table[request.Key] = (request.Value, revision);
            return Task.FromResult(new SetResponse { Revision = revision });
        }
    }
}
