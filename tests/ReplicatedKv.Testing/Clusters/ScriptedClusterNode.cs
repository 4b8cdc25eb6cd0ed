using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.Testing.Clusters;

/// <summary>
/// A gRPC Cluster service that answers as a test scripts it: to drive a client's (and rkvctl's) leader-following and error
/// mapping through answers a real cluster gives only in races (a node that led a moment ago, two nodes naming each
/// other). Each answer is a function of the call; a throw becomes the call's status, with the leader hint in the
/// response headers when <see cref="NamedLeader"/> is set, as the server stages it.
/// </summary>
public sealed class ScriptedClusterNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _changeCalls;

    private ScriptedClusterNode(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>What Status answers (asked on every call, so a test can change it between calls).</summary>
    public Func<StatusResponse> Status { get; set; } = () => new StatusResponse { NodeId = "scripted", Role = NodeRole.Leader };

    /// <summary>The answer to AddMember, PromoteMember, RemoveMember and TransferLeader (as its leader id), given the request.</summary>
    public Func<Google.Protobuf.IMessage, CancellationToken, Task<MemberChangeResponse>> Change { get; set; } =
        (_, _) => Task.FromResult(new MemberChangeResponse());

    /// <summary>Sent as the rkv-leader-url header with every answer, when set.</summary>
    public Uri? NamedLeader { get; set; }

    public int ChangeCalls => Volatile.Read(ref _changeCalls);

    public List<Google.Protobuf.IMessage> Requests { get; } = [];

    public static async Task<ScriptedClusterNode> StartAsync()
    {
        var port = FreePorts.Pick(1)[0];
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<Service>();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<Service>();
        var node = new ScriptedClusterNode(app, new Uri($"http://127.0.0.1:{port}"));
        app.Services.GetRequiredService<Service>().Node = node;
        await app.StartAsync();
        return node;
    }

    public static MemberChangeResponse Configuration(long slot, params (string Id, MemberRole Role)[] members)
    {
        var response = new MemberChangeResponse { ConfigurationSlot = slot, ConfigurationEffectiveSlot = slot + 1 };
        response.Members.AddRange(members.Select(m => new ConfigurationMember
        {
            NodeId = m.Id,
            PeerUrl = $"http://{m.Id}:7101",
            ClientUrl = $"http://{m.Id}:7001",
            Role = m.Role,
        }));
        return response;
    }

    public static Func<Google.Protobuf.IMessage, CancellationToken, Task<MemberChangeResponse>> Refuse(StatusCode code, string reason) =>
        (_, _) => throw new RpcException(new Status(code, reason));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<MemberChangeResponse> AnswerAsync(Google.Protobuf.IMessage request, ServerCallContext context)
    {
        Interlocked.Increment(ref _changeCalls);
        lock (Requests)
        {
            Requests.Add(request);
        }

        if (NamedLeader is { } leader)
        {
            await context.WriteResponseHeadersAsync(new Metadata { { "rkv-leader-url", leader.ToString() } });
        }

        return await Change(request, context.CancellationToken);
    }

    private sealed class Service : Cluster.ClusterBase
    {
        public ScriptedClusterNode Node { get; set; } = null!;

        public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) => Task.FromResult(Node.Status());

        public override Task<MemberChangeResponse> AddMember(AddMemberRequest request, ServerCallContext context) => Node.AnswerAsync(request, context);

        public override Task<MemberChangeResponse> PromoteMember(PromoteMemberRequest request, ServerCallContext context) => Node.AnswerAsync(request, context);

        public override Task<MemberChangeResponse> RemoveMember(RemoveMemberRequest request, ServerCallContext context) => Node.AnswerAsync(request, context);

        public override async Task<TransferLeaderResponse> TransferLeader(TransferLeaderRequest request, ServerCallContext context)
        {
            var answer = await Node.AnswerAsync(request, context);
            return new TransferLeaderResponse { LeaderId = answer.Members.FirstOrDefault()?.NodeId ?? "" };
        }
    }
}
