using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ReplicatedKv.Server.Api;
using Serilog;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// The mapping that turns gRPC's INTERNAL for a request it could not unframe into INVALID_ARGUMENT, run on a bare
/// HTTP context: a call the client abandoned while its body was still arriving is left alone (it is no malformed
/// request, and nobody reads its status).
/// </summary>
public sealed class MalformedRequestMappingTests
{
    [Fact]
    public async Task A_call_that_failed_to_unframe_becomes_invalid_argument()
    {
        var context = FailedSet(aborted: false);

        await MalformedRequestMapping.InvokeAsync(context, FailAsInternal);

        context.Response.Headers["grpc-status"].ToString().Should().Be("3");
        context.Response.Headers["grpc-message"].ToString().Should().StartWith("malformed request: ");
    }

    [Fact]
    public async Task A_call_the_client_abandoned_mid_body_is_not_called_malformed()
    {
        var context = FailedSet(aborted: true);

        await MalformedRequestMapping.InvokeAsync(context, FailAsInternal);

        context.Response.Headers["grpc-status"].ToString().Should().Be("13", "the client reset the stream; its request was cut, not malformed");
    }

    private static Task FailAsInternal(HttpContext context)
    {
        context.Response.Headers["grpc-status"] = "13";
        context.Response.Headers["grpc-message"] = "Incomplete message.";
        return Task.CompletedTask;
    }

    private static DefaultHttpContext FailedSet(bool aborted)
    {
        var services = new ServiceCollection().AddSingleton<ILogger>(new LoggerConfiguration().CreateLogger()).BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Path = "/replicatedkv.v1.KeyValue/Set";
        if (aborted)
        {
            context.RequestAborted = new CancellationToken(canceled: true);
        }

        return context;
    }
}
