using System.Buffers.Binary;

namespace ReplicatedKv.Consensus;

/// <summary>
/// The configurations a snapshot through some slot s must carry, because the log that decided them is compacted
/// away: the one governing slot s+1, and any decided at or before s that takes effect later (at most one while
/// changes go one at a time). The host stores it with the snapshot (<see cref="Encode"/>), and gives it back in
/// <see cref="PersistentState.Membership"/> on restart and to <see cref="PaxosReplica.InstallSnapshot(long, MembershipSnapshot?)"/>
/// when a snapshot arrives. Null there means a snapshot written before membership changes existed: the bootstrap
/// configuration (<see cref="ReplicaConfig.Members"/>) is taken as in force.
/// </summary>
public sealed record MembershipSnapshot(IReadOnlyList<ConfigurationEntry> Entries)
{
    private const byte Magic = 0xC8;

    /// <summary>Magic, entry count, then per entry: slot, effective slot, encoded configuration length and bytes.</summary>
    public byte[] Encode()
    {
        var configurations = Entries.Select(e => e.Configuration.Encode()).ToArray();
        var buffer = new byte[1 + 4 + configurations.Sum(c => 8 + 8 + 4 + c.Length)];
        buffer[0] = Magic;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(1), Entries.Count);
        var at = 5;
        for (var i = 0; i < Entries.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(at), Entries[i].Slot);
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(at + 8), Entries[i].EffectiveSlot);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at + 16), configurations[i].Length);
            configurations[i].CopyTo(buffer.AsSpan(at + 20));
            at += 20 + configurations[i].Length;
        }

        return buffer;
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote; false for anything else.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out MembershipSnapshot snapshot)
    {
        snapshot = null!;
        if (bytes.Length < 5 || bytes[0] != Magic)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[1..]);
        if (count < 1 || count > 16)
        {
            return false;
        }

        var entries = new List<ConfigurationEntry>(count);
        var at = 5;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length - at < 20)
            {
                return false;
            }

            var slot = BinaryPrimitives.ReadInt64LittleEndian(bytes[at..]);
            var effective = BinaryPrimitives.ReadInt64LittleEndian(bytes[(at + 8)..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 16)..]);
            if (slot < 0 || effective <= slot || length < 0 || length > bytes.Length - at - 20 ||
                !Configuration.TryDecode(bytes.Slice(at + 20, length), out var configuration))
            {
                return false;
            }

            entries.Add(new ConfigurationEntry(slot, effective, configuration));
            at += 20 + length;
        }

        if (at != bytes.Length)
        {
            return false;
        }

        snapshot = new MembershipSnapshot(entries);
        return true;
    }
}
