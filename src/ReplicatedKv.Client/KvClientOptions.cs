namespace ReplicatedKv.Client;

/// <summary>How a <see cref="KvClient"/> reaches the cluster and how hard it tries.</summary>
public sealed record KvClientOptions
{
    /// <summary>Client URLs of some or all members; the client finds the leader among them.</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>Deadline of a call that names none: retries happen within it.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a call keeps trying when no member accepts a connection at all (refused, or no answer to the
    /// connect): then it fails as unavailable instead of retrying until its whole deadline, as etcd's dial timeout
    /// does. It also bounds each single connect.
    /// </summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>HTTP/2 connections per endpoint; calls spread over them.</summary>
    public int ConnectionsPerEndpoint { get; init; } = 2;

    /// <summary>First wait before a retry; each further retry waits up to twice as long, with jitter.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Longest wait between two retries of one call.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Prefix of the client ids this client writes with; random by default. Each concurrent write uses its own
    /// id (see <see cref="KvClient"/>), so two clients must not share a prefix.
    /// </summary>
    public string ClientIdPrefix { get; init; } = "c-" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>PEM bundle of the CA that https endpoints' certificates must chain to; null trusts the machine's roots.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate presented to https endpoints (with <see cref="KeyFile"/>), for servers with client-cert-auth.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Sent as <c>authorization: Bearer</c> on every call, for servers with an auth token file.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Accepts any server certificate, so anyone in the path can read and change the traffic. Only for a first
    /// try against self-signed certificates; give <see cref="CaFile"/> instead.
    /// </summary>
    public bool InsecureSkipTlsVerify { get; init; }
}
