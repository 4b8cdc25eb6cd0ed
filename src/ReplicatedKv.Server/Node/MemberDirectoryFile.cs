using System.Globalization;
using System.Text;
using ReplicatedKv.Transport;

namespace ReplicatedKv.Server.Node;

/// <summary>
/// The file <c>members</c> in the data directory: this node's numeric id and the members it knew when it first
/// started (from <c>--peers</c> for a brand-new cluster, or from the member it joined through). The consensus core
/// builds the bootstrap configuration from ids alone, so its members carry no names or URLs in the log; this file is
/// where a restarted node finds them, and its own id, whatever <c>--peers</c> says now. Members added later carry
/// theirs in the configuration itself (<see cref="MemberPayload"/>). Written once, atomically; a data directory from
/// before the file existed is one whose cluster never changed its membership, so <c>--peers</c> still describes it.
/// </summary>
internal static class MemberDirectoryFile
{
    public const string FileName = "members";
    private const string Header = "rkv-members 1";

    /// <summary>
    /// What the file holds: the cluster, this node's id, the members by id, and the highest member id this node has
    /// seen used (rewritten as it grows), so a restarted leader never gives a new member a removed member's id.
    /// </summary>
    public sealed record Contents(string ClusterId, int SelfId, IReadOnlyList<MemberInfo> Members, int HighestId = 0);

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    /// <summary>The file's contents, or null when there is none. Throws <see cref="InvalidDataException"/> for a file that does not parse.</summary>
    public static Contents? Read(string dataDir)
    {
        var path = PathIn(dataDir);
        if (!File.Exists(path))
        {
            return null;
        }

        var lines = File.ReadAllLines(path, Encoding.UTF8);
        if (lines.Length < 3 || lines[0] != Header || !lines[1].StartsWith("cluster ", StringComparison.Ordinal) ||
            !lines[2].StartsWith("self ", StringComparison.Ordinal) || !int.TryParse(lines[2][5..], NumberStyles.None, CultureInfo.InvariantCulture, out var self))
        {
            throw new InvalidDataException($"{path} is not a member directory this version reads");
        }

        var members = new List<MemberInfo>();
        var highest = 0;
        foreach (var line in lines.Skip(3).Where(l => l.Length > 0))
        {
            if (line.StartsWith("highest ", StringComparison.Ordinal) && int.TryParse(line[8..], NumberStyles.None, CultureInfo.InvariantCulture, out var recorded))
            {
                highest = recorded;
                continue;
            }

            // member <id> <name> <peer url> <client url or ->
            var parts = line.Split(' ');
            if (parts.Length != 5 || parts[0] != "member" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ||
                !ClusterMembers.IsValidName(parts[2]) || !ClusterMembers.TryParseUrl(parts[3], out var peerUrl))
            {
                throw new InvalidDataException($"{path}: '{line}' is not 'member <id> <name> <peer url> <client url>'");
            }

            members.Add(new MemberInfo(id, parts[2], peerUrl, parts[4] == "-" ? null : parts[4]));
        }

        return new Contents(lines[1][8..], self, members, Math.Max(highest, members.Select(m => m.Id).DefaultIfEmpty(0).Max()));
    }

    /// <summary>Writes the file durably: a temporary file, flushed to disk, renamed over the final name.</summary>
    public static void Write(string dataDir, Contents contents)
    {
        Directory.CreateDirectory(dataDir);
        var text = new StringBuilder()
            .Append(Header).Append('\n')
            .Append("cluster ").Append(contents.ClusterId).Append('\n')
            .Append("self ").Append(contents.SelfId.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var member in contents.Members.OrderBy(m => m.Id))
        {
            text.Append(CultureInfo.InvariantCulture, $"member {member.Id} {member.Name} {MemberPayload.Trim(member.PeerUrl)} {member.ClientUrl ?? "-"}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"highest {Math.Max(contents.HighestId, contents.Members.Select(m => m.Id).DefaultIfEmpty(0).Max())}\n");
        var path = PathIn(dataDir);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(text.ToString()));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
