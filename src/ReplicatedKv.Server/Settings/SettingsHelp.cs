namespace ReplicatedKv.Server.Settings;

/// <summary>
/// What <c>rkv-server --help</c> says of each setting: its default and its meaning, the same words as README's
/// settings table. A setting without an entry is still listed, with its names only.
/// </summary>
internal static class SettingsHelp
{
    public static IReadOnlyDictionary<string, (string Default, string Meaning)> Entries { get; } = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["config"] = ("appsettings.json here", "JSON settings file (section ReplicatedKv); a named file must exist"),
        ["node-id"] = ("required", "this node's name in --peers"),
        ["peers"] = ("required", "every member: n1=http://host1:7101,n2=... (peer URLs)"),
        ["client-url"] = ("http://127.0.0.1:7001", "client API listen address (https:// with --cert-file)"),
        ["peer-url"] = ("http://127.0.0.1:7101", "peer listen address (https:// with --peer-cert-file)"),
        ["advertise-client-url"] = ("the client URL", "this node's client URL as others dial it"),
        ["member-client-urls"] = ("none", "every member's client URL, n1=http://host1:7001,...: leader hints and rkvctl status"),
        ["admin-url"] = ("off", "HTTP/1.1 /healthz, /readyz and /metrics"),
        ["data-dir"] = ("data/<node-id>", "write-ahead log and snapshots"),
        ["cluster-id"] = ("replicatedkv", "peers with another id are refused"),
        ["peer-secret-file"] = ("none (warned)", "file with the shared secret that authenticates peer streams (or RKV_PEER_SECRET)"),
        ["initial-cluster-state"] = ("auto", "empty data dir: auto asks the peers, new bootstraps, existing joins (learns its id and the members from a member) as a learner"),
        ["tick-interval"] = ("50ms", "the consensus clock"),
        ["max-message-age"] = ("10s", "a memory guard: older peer messages are dropped; only an 'auto' node probing an empty cluster waits 3x this before bootstrapping it (keep clocks within half of it); a node that lost its disk rejoins by incarnation id, without waiting"),
        ["min-threads"] = ("8 per core, at least 64", "the thread pool's minimum, raised at start so a burst of clients does not starve Kestrel"),
        ["election-ticks"] = ("10", "election timeout, in ticks"),
        ["heartbeat-ticks"] = ("2", "heartbeat interval, in ticks"),
        ["window"] = ("64", "slots in flight (at most 64, the fixed configuration delay)"),
        ["max-batch-commands"] = ("1024", "client commands per slot"),
        ["max-batch-bytes"] = ("4 MiB", "bytes per slot (at most 64 MiB)"),
        ["max-key-bytes"] = ("1024", "longest key"),
        ["max-value-bytes"] = ("1 MiB", "largest value"),
        ["max-pending-requests"] = ("20000", "unanswered requests before RESOURCE_EXHAUSTED"),
        ["request-timeout"] = ("5s", "wait for a quorum when the client's deadline is later or absent"),
        ["snapshot-every-entries"] = ("100000", "snapshot after this many log entries"),
        ["snapshot-every-bytes"] = ("256 MiB", "or after this many log bytes"),
        ["catch-up-entries"] = ("10000", "slots kept in memory behind a snapshot"),
        ["segment-bytes"] = ("64 MiB", "write-ahead log segment size"),
        ["log-format"] = ("text", "text or json"),
        ["log-level"] = ("Information", "Debug adds a line per request"),
        ["shutdown-timeout"] = ("10s", "drain time on SIGTERM"),
        ["max-client-connections"] = ("4096", "open connections on the client port"),
        ["max-peer-connections"] = ("128", "open connections on the peer port"),
        ["idle-connection-timeout"] = ("2m", "close a connection idle this long"),
        ["request-headers-timeout"] = ("10s", "a request's headers must arrive within this"),
        ["stall-timeout"] = ("10s", "node loop without progress this long: NOT_SERVING; 0s turns it off"),
        ["max-promotion-lag"] = ("1000", "slots a learner may lag the leader and still be promoted to voter (by hand, or automatically once added)"),
        ["cert-file"] = ("off", "PEM certificate of the client port (TLS)"),
        ["key-file"] = ("off", "PEM key of --cert-file"),
        ["trusted-ca-file"] = ("none", "PEM CA bundle client certificates must chain to"),
        ["client-cert-auth"] = ("false", "KeyValue and Cluster calls need a client certificate (or a token)"),
        ["peer-cert-file"] = ("off", "PEM certificate of the peer port, also presented to peers"),
        ["peer-key-file"] = ("off", "PEM key of --peer-cert-file"),
        ["peer-trusted-ca-file"] = ("none", "PEM CA bundle peer certificates must chain to (required with peer TLS)"),
        ["auth-token-file"] = ("off", "accepted bearer tokens, one per line"),
    };
}
