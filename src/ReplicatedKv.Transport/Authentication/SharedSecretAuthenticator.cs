using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// Proves a peer stream's sender with the cluster's shared secret and no TLS: the opener sends its name, the
/// recipient's name, the time and a random nonce, with an HMAC-SHA256 of those and the cluster id under the
/// secret. The receiver checks the MAC (in constant time), that it is the recipient, that the time is within
/// <see cref="Window"/> of its clock, and that the nonce is new, so a recorded opening cannot be replayed. The
/// cluster id is bound by the MAC but never sent: it is no credential, and nobody needs to read it off the wire.
/// </summary>
public sealed class SharedSecretAuthenticator : IPeerAuthenticator
{
    public const string FromHeader = "rkv-auth-from";
    public const string ToHeader = "rkv-auth-to";
    public const string TimeHeader = "rkv-auth-time";
    public const string NonceHeader = "rkv-auth-nonce";
    public const string MacHeader = "rkv-auth-mac";

    private readonly ClusterMembers _members;
    private readonly PeerSecret _secret;
    private readonly TimeProvider _time;
    private readonly NonceReplayCache _nonces;

    public SharedSecretAuthenticator(ClusterMembers members, PeerSecret secret, TimeProvider time, TimeSpan? window = null, int replayCapacity = 65_536)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(time);
        _members = members;
        _secret = secret;
        _time = time;
        Window = window ?? TimeSpan.FromMinutes(1);
        _nonces = new NonceReplayCache(replayCapacity);
    }

    /// <summary>How far a stream opening's time may be from this node's clock, either way (clock skew plus transit).</summary>
    public TimeSpan Window { get; }

    public bool ProvesSender => true;

    public PeerAuthentication Authenticate(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Authenticate(context.RequestHeaders);
    }

    /// <summary>The checks of <see cref="Authenticate(ServerCallContext)"/> on a stream's request headers.</summary>
    public PeerAuthentication Authenticate(Metadata headers) => Authenticate(headers, mustBeMember: true);

    public PeerAuthentication AuthenticateJoiner(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return AuthenticateJoiner(context.RequestHeaders);
    }

    /// <summary>The checks of <see cref="AuthenticateJoiner(ServerCallContext)"/> on a Join call's request headers.</summary>
    public PeerAuthentication AuthenticateJoiner(Metadata headers) => Authenticate(headers, mustBeMember: false);

    /// <summary>
    /// The checks of <see cref="Authenticate(ServerCallContext)"/>; without <paramref name="mustBeMember"/> (a Join)
    /// the sender need only hold the secret, and is answered as <see cref="PeerAuthentication.Unverified"/>.
    /// </summary>
    private PeerAuthentication Authenticate(Metadata headers, bool mustBeMember)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var from = headers.GetValue(FromHeader);
        var to = headers.GetValue(ToHeader);
        var time = headers.GetValue(TimeHeader);
        var nonce = headers.GetValue(NonceHeader);
        var mac = headers.GetValue(MacHeader);
        if (from is null || to is null || time is null || nonce is null || mac is null)
        {
            return PeerAuthentication.Refused("no peer authentication headers (is the peer secret set on every member?)");
        }

        // The MAC first: until it holds, nothing else the headers say is worth believing or answering.
        if (!MacMatches(mac, Mac(from, to, time, nonce)))
        {
            return PeerAuthentication.Refused($"bad MAC for a stream claiming to be from '{Printable(from)}' (a different peer secret?)");
        }

        if (to != _members.SelfName)
        {
            return PeerAuthentication.Refused($"a stream from {from} was opened for {Printable(to)}, not this node");
        }

        var isMember = _members.TryGetId(from, out var id) && id != _members.SelfId;
        if (mustBeMember && !isMember)
        {
            return PeerAuthentication.Refused($"'{Printable(from)}' holds the secret but is not another member");
        }

        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var windowMs = (long)Window.TotalMilliseconds;
        if (!long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs) || Math.Abs(nowMs - sentMs) > windowMs)
        {
            return PeerAuthentication.Refused($"stream from {from} opened at {time}, more than {Window} from this node's clock (replayed, or clocks apart)");
        }

        if (!_nonces.TryRecord(nonce, sentMs + windowMs, nowMs))
        {
            return PeerAuthentication.Refused($"stream from {from} reused a nonce: a replayed opening");
        }

        return mustBeMember ? PeerAuthentication.Member(id) : PeerAuthentication.Unverified;
    }

    public Metadata HeadersFor(int peer) => JoinHeadersFor(_members.NameOf(peer));

    public Metadata JoinHeadersFor(string recipient)
    {
        var from = _members.SelfName;
        var to = recipient;
        var time = _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        return new Metadata
        {
            { FromHeader, from },
            { ToHeader, to },
            { TimeHeader, time },
            { NonceHeader, nonce },
            { MacHeader, Convert.ToHexString(Mac(from, to, time, nonce)) },
        };
    }

    // Header values cannot hold a newline, so newline-joined fields cannot be shifted into one another.
    private byte[] Mac(string from, string to, string time, string nonce) =>
        HMACSHA256.HashData(_secret.Key, Encoding.UTF8.GetBytes($"rkv-peer-stream-v1\n{_members.ClusterId}\n{from}\n{to}\n{time}\n{nonce}"));

    private static bool MacMatches(string sent, byte[] expected)
    {
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        return sent.Length == 2 * given.Length
            && Convert.FromHexString(sent, given, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == given.Length
            && CryptographicOperations.FixedTimeEquals(given, expected);
    }

    // What a stranger wrote goes into our log only shortened and stripped of control characters.
    private static string Printable(string text) => new([.. text.Take(64).Where(c => !char.IsControl(c))]);
}
