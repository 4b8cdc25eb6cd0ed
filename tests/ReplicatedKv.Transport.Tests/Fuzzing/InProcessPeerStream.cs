using Grpc.Core;
using ReplicatedKv.Transport.Authentication;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport.Tests.Fuzzing;

/// <summary>
/// What <see cref="PeerLinkService"/> needs to be called without a server: a stream of batches already parsed
/// (gRPC parses them; bytes that do not parse never reach the service), a call context, and an authenticator
/// that says what the connection proved.
/// </summary>
internal static class InProcessPeerStream
{
    public sealed class Reader(IReadOnlyList<Wire.PeerBatch> batches) : IAsyncStreamReader<Wire.PeerBatch>
    {
        private int _next = -1;

        public Wire.PeerBatch Current => batches[_next];

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++_next < batches.Count);
    }

    /// <summary>A stream whose next batch fails to deserialize with <paramref name="error"/>, as gRPC's reader throws it.</summary>
    public sealed class Unreadable(Exception error) : IAsyncStreamReader<Wire.PeerBatch>
    {
        public Wire.PeerBatch Current => throw new InvalidOperationException("nothing was read");

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromException<bool>(error);
    }

    public sealed class Proven(PeerAuthentication authentication) : IPeerAuthenticator
    {
        public bool ProvesSender => authentication.Verified;

        public PeerAuthentication Authenticate(ServerCallContext context) => authentication;

        public Metadata HeadersFor(int peer) => [];
    }

    public sealed class Context : ServerCallContext
    {
        private readonly Metadata _trailers = [];

        protected override string MethodCore => "/replicatedkv.peer.v1.PeerLink/Stream";

        protected override string HostCore => "127.0.0.1";

        protected override string PeerCore => "ipv4:127.0.0.1:50000";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore => [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore => _trailers;

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
