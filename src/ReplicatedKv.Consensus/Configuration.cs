using System.Buffers.Binary;
using System.Text;

namespace ReplicatedKv.Consensus;

/// <summary>
/// One member of a <see cref="Configuration"/>: a voter (counts in every quorum of the slots the configuration
/// governs) or a non-voting member (receives accepts, decisions and catch-up, counts in no quorum).
/// <see cref="Payload"/> is opaque to the core: the host keeps the member's URLs there.
/// </summary>
/// <remarks>
/// "Non-voting member" is a membership role decided through the log. It is not the rejoining learner of
/// <see cref="RejoinState.Learner"/>, a replica of any role that lost its disk and waits for its fence.
/// </remarks>
public sealed record Member(int Id, bool IsVoter, string Payload = "");

/// <summary>
/// The members of the cluster, decided through the log like any command: a configuration decided in slot c governs
/// every slot from c + <see cref="Delay"/> on, until a later one takes over (DESIGN.md, "Membership changes").
/// It travels in the log as a slot holding exactly one command, this configuration encoded (<see cref="Encode"/>),
/// so the write-ahead log, the peer wire and catch-up carry it as they carry any value.
/// </summary>
public sealed class Configuration
{
    /// <summary>First byte of an encoded configuration. No client command starts with it (the node core's envelope starts with 0xE1).</summary>
    public const byte Magic = 0xC7;

    /// <summary>Most members a configuration may list (the replica counts quorums in 64-bit masks).</summary>
    public const int MaxMembers = 64;

    private const byte FormatVersion = 1;

    public Configuration(IEnumerable<Member> members, int delay)
    {
        ArgumentNullException.ThrowIfNull(members);
        var sorted = members.OrderBy(m => m.Id).ToArray();
        if (sorted.Length == 0 || sorted.Length > MaxMembers)
        {
            throw new ArgumentException($"a configuration lists 1 to {MaxMembers} members", nameof(members));
        }

        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Id == sorted[i - 1].Id)
            {
                throw new ArgumentException($"member {sorted[i].Id} is listed twice", nameof(members));
            }
        }

        if (!sorted.Any(m => m.IsVoter))
        {
            throw new ArgumentException("a configuration needs at least one voter", nameof(members));
        }

        if (delay < 1)
        {
            throw new ArgumentException("the delay must be at least one slot", nameof(delay));
        }

        Members = sorted;
        Delay = delay;
        Voters = sorted.Where(m => m.IsVoter).Select(m => m.Id).ToArray();
        NonVoters = sorted.Where(m => !m.IsVoter).Select(m => m.Id).ToArray();
    }

    /// <summary>Every member, by id.</summary>
    public IReadOnlyList<Member> Members { get; }

    /// <summary>
    /// Slots between the slot that decides a configuration and the first slot it governs (Lamport's α). The same in
    /// every configuration of a cluster: a change copies it. A leader never has slot i in flight before slot i - Delay
    /// is decided, so it always knows which configuration governs the slots it proposes.
    /// </summary>
    public int Delay { get; }

    public IReadOnlyList<int> Voters { get; }

    public IReadOnlyList<int> NonVoters { get; }

    /// <summary>Smallest number of voters that intersects every other majority of voters.</summary>
    public int Majority => Quorum.Majority(Voters.Count);

    /// <summary>The first configuration of a brand-new cluster: every listed member votes.</summary>
    public static Configuration Bootstrap(IEnumerable<int> voters, int delay) =>
        new(voters.Select(id => new Member(id, IsVoter: true)), delay);

    public bool Contains(int id) => Find(id) is not null;

    public bool IsVoter(int id) => Find(id) is { IsVoter: true };

    public Member? Find(int id)
    {
        // Indexed, not foreach: the leader asks this for every slot it proposes, and an interface enumerator allocates.
        for (var i = 0; i < Members.Count; i++)
        {
            var member = Members[i];
            if (member.Id == id)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>This configuration with <paramref name="member"/> added, or replacing the member with its id.</summary>
    public Configuration With(Member member) => new(Members.Where(m => m.Id != member.Id).Append(member), Delay);

    /// <summary>This configuration without member <paramref name="id"/>.</summary>
    public Configuration Without(int id) => new(Members.Where(m => m.Id != id), Delay);

    /// <summary>True when the command is an encoded configuration (or claims to be one by its first byte).</summary>
    public static bool LooksLikeConfiguration(ReadOnlySpan<byte> command) => command.Length > 0 && command[0] == Magic;

    /// <summary>The configuration a decided slot holds, if it holds one: exactly one command that decodes.</summary>
    public static bool TryFrom(SlotValue value, out Configuration configuration)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Commands.Count == 1 && TryDecode(value.Commands[0].Span, out var decoded))
        {
            configuration = decoded;
            return true;
        }

        configuration = null!;
        return false;
    }

    /// <summary>The slot value that proposes this configuration.</summary>
    public SlotValue ToSlotValue() => new([Encode()]);

    /// <summary>Magic, format version, delay, member count, then per member: id, voter flag, payload length and UTF-8 bytes.</summary>
    public byte[] Encode()
    {
        var payloads = Members.Select(m => Encoding.UTF8.GetBytes(m.Payload)).ToArray();
        var buffer = new byte[2 + 4 + 4 + payloads.Sum(p => 4 + 1 + 4 + p.Length)];
        buffer[0] = Magic;
        buffer[1] = FormatVersion;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(2), Delay);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(6), Members.Count);
        var at = 10;
        for (var i = 0; i < Members.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), Members[i].Id);
            buffer[at + 4] = Members[i].IsVoter ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at + 5), payloads[i].Length);
            payloads[i].CopyTo(buffer.AsSpan(at + 9));
            at += 9 + payloads[i].Length;
        }

        return buffer;
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote; false for anything else (wrong length, bad UTF-8, no voter, ...).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out Configuration configuration)
    {
        configuration = null!;
        if (bytes.Length < 10 || bytes[0] != Magic || bytes[1] != FormatVersion)
        {
            return false;
        }

        var delay = BinaryPrimitives.ReadInt32LittleEndian(bytes[2..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]);
        if (delay < 1 || count < 1 || count > MaxMembers)
        {
            return false;
        }

        var members = new List<Member>(count);
        var at = 10;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length - at < 9)
            {
                return false;
            }

            var id = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            var flag = bytes[at + 4];
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 5)..]);
            if (flag > 1 || length < 0 || length > bytes.Length - at - 9)
            {
                return false;
            }

            var payloadBytes = bytes.Slice(at + 9, length);
            if (!System.Text.Unicode.Utf8.IsValid(payloadBytes))
            {
                return false;
            }

            var payload = Encoding.UTF8.GetString(payloadBytes);
            members.Add(new Member(id, flag == 1, payload));
            at += 9 + length;
        }

        if (at != bytes.Length || members.Select(m => m.Id).Distinct().Count() != count || !members.Any(m => m.IsVoter))
        {
            return false;
        }

        configuration = new Configuration(members, delay);
        return true;
    }

    /// <summary>Same members, roles, payloads and delay.</summary>
    public bool ContentEquals(Configuration other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Delay == other.Delay && Members.SequenceEqual(other.Members);
    }

    public override string ToString() =>
        $"voters [{string.Join(",", Voters)}]" + (NonVoters.Count > 0 ? $" non-voters [{string.Join(",", NonVoters)}]" : "");
}

/// <summary>
/// A configuration as the log decided it: in slot <see cref="Slot"/> (0 for the bootstrap configuration), governing
/// every slot from <see cref="EffectiveSlot"/> on until a later entry takes over.
/// </summary>
public sealed record ConfigurationEntry(long Slot, long EffectiveSlot, Configuration Configuration)
{
    public override string ToString() => $"{Configuration} decided at {Slot}, governs from {EffectiveSlot}";
}
