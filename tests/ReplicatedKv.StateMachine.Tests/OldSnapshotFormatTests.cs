using System.Text;

namespace ReplicatedKv.StateMachine.Tests;

/// <summary>Snapshots written before keys had their own version and create revision (format 1) still load.</summary>
public sealed class OldSnapshotFormatTests
{
    [Fact]
    public async Task A_format_1_snapshot_loads_with_version_1_and_create_revision_equal_to_the_mod_revision()
    {
        var payload = FormatOne(appliedSlot: 9, revision: 7, ("a", 3, "alpha"), ("b", 7, "beta"));

        var restored = await KeyValueStateMachine.RestoreAsync(new MemoryStream(payload));

        restored.TryGetEntry("b", out var b).Should().BeTrue();
        Encoding.UTF8.GetString(b.Value.Span).Should().Be("beta");
        (b.ModRevision, b.CreateRevision, b.Version).Should().Be((7UL, 7UL, 1UL));
        restored.TryGetEntry("a", out var a).Should().BeTrue();
        (a.ModRevision, a.CreateRevision, a.Version).Should().Be((3UL, 3UL, 1UL));
        (restored.AppliedSlot, restored.Revision).Should().Be((9L, 7UL));
    }

    [Fact]
    public async Task A_format_1_state_lists_and_goes_on_counting_versions_from_1()
    {
        var restored = await KeyValueStateMachine.RestoreAsync(new MemoryStream(FormatOne(appliedSlot: 2, revision: 2, ("z", 1, "1"), ("y", 2, "2"))));

        restored.ApplyOne(Cmd.Set("z", "again"));

        restored.List(new ListQuery()).Entries.Select(e => (e.Key, e.Version)).Should().Equal(("y", 1UL), ("z", 2UL));
    }

    [Fact]
    public async Task Saving_a_format_1_state_writes_the_current_format_with_the_derived_numbers()
    {
        var restored = await KeyValueStateMachine.RestoreAsync(new MemoryStream(FormatOne(appliedSlot: 1, revision: 5, ("k", 5, "v"))));
        using var stream = new MemoryStream();
        await restored.WriteSnapshotAsync(stream);
        stream.Position = 0;

        var again = await KeyValueStateMachine.RestoreAsync(stream);

        stream.ToArray()[8].Should().Be(SnapshotFormat.Version);
        again.ComputeStateHash().Should().Be(restored.ComputeStateHash());
    }

    /// <summary>A format-1 payload, laid out by hand: no create revision or version per key, no clients.</summary>
    private static byte[] FormatOne(long appliedSlot, ulong revision, params (string Key, ulong ModRevision, string Value)[] keys)
    {
        var buffer = new byte[1024];
        SnapshotFormat.WriteHeader(buffer, appliedSlot, revision, keys.Length);
        buffer[8] = SnapshotFormat.VersionWithoutKeyVersions;
        var position = SnapshotFormat.HeaderLength;
        foreach (var (key, modRevision, value) in keys)
        {
            position += Bytes(buffer.AsSpan(position), Encoding.UTF8.GetBytes(key));
            position += Varint.Write(buffer.AsSpan(position), modRevision);
            position += Bytes(buffer.AsSpan(position), Encoding.UTF8.GetBytes(value));
        }

        position += Varint.Write(buffer.AsSpan(position), 0);
        SnapshotFormat.Trailer.CopyTo(buffer.AsSpan(position));
        return buffer[..(position + SnapshotFormat.TrailerLength)];
    }

    private static int Bytes(Span<byte> destination, byte[] bytes)
    {
        var length = Varint.Write(destination, (ulong)bytes.Length);
        bytes.CopyTo(destination[length..]);
        return length + bytes.Length;
    }
}
