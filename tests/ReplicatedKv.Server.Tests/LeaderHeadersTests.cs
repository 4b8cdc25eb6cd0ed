using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using ReplicatedKv.Server.Api;
using ReplicatedKv.Server.Node;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// The leader hint is staged in the response headers, once, and never fails a handler whose call its deadline
/// already ended. The call context and response here behave as gRPC's and Kestrel's do when the deadline fires
/// under the handler: the response is completed (started), its headers read-only, the call's token cancelled.
/// </summary>
public sealed class LeaderHeadersTests
{
    private static readonly NodeView Led = NodeView.Starting with { LeaderName = "n2", LeaderClientUrl = "http://127.0.0.1:7002" };

    [Fact]
    public void A_live_call_gets_both_hints_once_however_often_they_are_staged()
    {
        using var call = new FakeCall();

        LeaderHeaders.Stage(Led, call).Should().BeTrue();
        LeaderHeaders.Stage(Led, call).Should().BeTrue();

        call.Response.Headers[LeaderHeaders.LeaderId].Should().Equal("n2");
        call.Response.Headers[LeaderHeaders.LeaderUrl].Should().Equal("http://127.0.0.1:7002");
    }

    [Fact]
    public void A_call_its_deadline_already_answered_is_left_alone()
    {
        using var call = new FakeCall();
        call.DeadlineFires();

        LeaderHeaders.Stage(Led, call).Should().BeFalse();
        call.Response.Headers.ContainsKey(LeaderHeaders.LeaderId).Should().BeFalse();
    }

    [Fact]
    public void A_deadline_that_fires_between_the_check_and_the_write_does_not_throw()
    {
        // The response still says "not started" when asked, but its headers went out a moment later ("Headers are read-only").
        using var call = new FakeCall();
        call.Response.Headers.IsReadOnly = true;

        var stage = () => LeaderHeaders.Stage(Led, call);

        stage.Should().NotThrow().Which.Should().BeFalse();
    }

    /// <summary>A unary call as gRPC hands it to a handler: the HTTP context is found through UserState, as for gRPC's own test context.</summary>
    private sealed class FakeCall : ServerCallContext, IDisposable
    {
        private readonly CancellationTokenSource _deadline = new();
        private readonly DefaultHttpContext _http = new();
        private readonly ResponseFeature _response = new();

        public FakeCall()
        {
            _http.Features.Set<IHttpResponseFeature>(_response);
            UserState["__HttpContext"] = _http;
        }

        public ResponseFeature Response => _response;

        public void Dispose() => _deadline.Dispose();

        /// <summary>What gRPC does at the deadline: completes the response with DEADLINE_EXCEEDED and cancels the call.</summary>
        public void DeadlineFires()
        {
            _response.HasStarted = true;
            _response.Headers.IsReadOnly = true;
            _deadline.Cancel();
        }

        protected override string MethodCore => "/replicatedkv.v1.KeyValue/Set";

        protected override string HostCore => "127.0.0.1";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.UtcNow.AddSeconds(1);

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => _deadline.Token;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) =>
            throw new NotSupportedException("the handler must not send headers on its own; they leave with the answer");
    }

    private sealed class ResponseFeature : IHttpResponseFeature
    {
        public int StatusCode { get; set; } = 200;

        public string? ReasonPhrase { get; set; }

        public HeaderDictionary Headers { get; } = [];

        IHeaderDictionary IHttpResponseFeature.Headers { get => Headers; set => throw new NotSupportedException(); }

        public Stream Body { get; set; } = Stream.Null;

        public bool HasStarted { get; set; }

        public void OnStarting(Func<object, Task> callback, object state)
        {
        }

        public void OnCompleted(Func<object, Task> callback, object state)
        {
        }
    }
}
