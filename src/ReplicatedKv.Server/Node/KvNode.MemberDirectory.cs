using ReplicatedKv.Server.Settings;
using ReplicatedKv.Transport;
using ReplicatedKv.Transport.Tls;

namespace ReplicatedKv.Server.Node;

// Who this node is at start: its numeric id and the members it knows, from the data directory's member file, or, the
// first time, from --peers (a brand-new cluster, or a data directory from before the file) or from a member of the
// cluster it joins (--initial-cluster-state existing). After that, flags do not change it: the log does.
public sealed partial class KvNode
{
    /// <summary>The member file's contents for this start, written if this is the first.</summary>
    private static async Task<MemberDirectoryFile.Contents> ResolveMemberDirectoryAsync(ServerSettings settings, PeerTls? peerTls, ILoggerFactory loggers,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("ReplicatedKv.Node");
        var flags = ClusterMembers.ParseList(settings.Peers, settings.MemberClientUrls);
        MemberDirectoryFile.Contents? contents;
        try
        {
            contents = MemberDirectoryFile.Read(settings.DataDir);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidOperationException($"cannot start: {ex.Message}", ex);
        }

        if (contents is not null)
        {
            if (contents.ClusterId != settings.ClusterId)
            {
                throw new InvalidOperationException(
                    $"cannot start: the data directory {settings.DataDir} belongs to cluster '{contents.ClusterId}', not '{settings.ClusterId}'");
            }

            if (contents.Members.FirstOrDefault(m => m.Id == contents.SelfId) is not { } self || self.Name != settings.NodeId)
            {
                throw new InvalidOperationException(
                    $"cannot start: the data directory {settings.DataDir} belongs to another node than '{settings.NodeId}' (its member file names member {contents.SelfId})");
            }

            // --member-client-urls may fill in a client URL the file lacks; nothing else from the flags is obeyed.
            contents = contents with
            {
                Members = [.. contents.Members.Select(m => m.ClientUrl is null && flags.FirstOrDefault(f => f.Name == m.Name)?.ClientUrl is { } url ? m with { ClientUrl = url } : m)],
            };
            return contents;
        }

        if (!HoldsData(settings.DataDir) && settings.InitialClusterState == InitialClusterState.Existing)
        {
            contents = await ClusterJoin.JoinAsync(settings, peerTls, logger, time, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // A brand-new cluster, or a data directory from before the member file (whose membership never changed).
            contents = new MemberDirectoryFile.Contents(settings.ClusterId, flags.Single(m => m.Name == settings.NodeId).Id, flags);
        }

        MemberDirectoryFile.Write(settings.DataDir, contents);
        return contents;
    }

    /// <summary>True when the data directory holds anything but a member file (a log, a snapshot).</summary>
    private static bool HoldsData(string dataDir) =>
        Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any(p => Path.GetFileName(p) is not (MemberDirectoryFile.FileName or "members.tmp"));

    /// <summary>Logs, once at start, where --peers disagrees with the members the log says are in force (they win).</summary>
    private void WarnIfPeersFlagDisagrees()
    {
        var flags = ClusterMembers.ParseList(_settings.Peers, _settings.MemberClientUrls);
        var flagged = flags.Select(m => $"{m.Name}={MemberPayload.Trim(m.PeerUrl)}").Order(StringComparer.Ordinal);
        var actual = _members.Members.Select(m => $"{m.Name}={MemberPayload.Trim(m.PeerUrl)}").Order(StringComparer.Ordinal);
        if (!flagged.SequenceEqual(actual))
        {
            LogPeersFlagDisagrees(_logger, string.Join(",", flagged), string.Join(",", actual));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "--peers ({Flag}) disagrees with the configuration this node's log holds ({Actual}); the log's is obeyed (membership changes go through rkvctl member)")]
    private static partial void LogPeersFlagDisagrees(ILogger logger, string flag, string actual);
}
