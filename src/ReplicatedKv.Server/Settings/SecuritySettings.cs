namespace ReplicatedKv.Server.Settings;

/// <summary>
/// TLS on the client and peer ports and client authentication, named as etcd names them. Every file is PEM and
/// reloaded when it changes. <see cref="Off"/> (the default) is plaintext without authentication.
/// </summary>
public sealed record SecuritySettings
{
    public static readonly SecuritySettings Off = new();

    /// <summary>Certificate served on the client port; set, the client URL is https.</summary>
    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>CA bundle that client certificates must chain to (with <see cref="ClientCertAuth"/>).</summary>
    public string? TrustedCaFile { get; init; }

    /// <summary>KeyValue and Cluster calls need a client certificate from <see cref="TrustedCaFile"/> (or a token).</summary>
    public bool ClientCertAuth { get; init; }

    /// <summary>Certificate served on the peer port and presented to peers; set, peer URLs are https and peers must present one too.</summary>
    public string? PeerCertFile { get; init; }

    public string? PeerKeyFile { get; init; }

    /// <summary>CA bundle that every peer's certificate must chain to.</summary>
    public string? PeerTrustedCaFile { get; init; }

    /// <summary>File of accepted bearer tokens, one per line; KeyValue and Cluster calls need one of them (or a client certificate).</summary>
    public string? AuthTokenFile { get; init; }

    public bool ClientTls => CertFile is not null;

    public bool PeerTls => PeerCertFile is not null;

    /// <summary>True if KeyValue and Cluster calls must prove who they are.</summary>
    public bool ClientAuthRequired => ClientCertAuth || AuthTokenFile is not null;
}
