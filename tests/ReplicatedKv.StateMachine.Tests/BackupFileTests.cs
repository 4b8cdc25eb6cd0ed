using ReplicatedKv.StateMachine.Backup;

namespace ReplicatedKv.StateMachine.Tests;

/// <summary>The backup file: a header, the snapshot payload, and a SHA-256 checksum that catches any damage or truncation.</summary>
public sealed class BackupFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rkv-backup-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_backup_reads_back_the_same_state_and_header()
    {
        var machine = MachineWith(50);
        var path = await WriteAsync(machine);

        var summary = await BackupFile.InspectAsync(path);
        var restored = await BackupFile.RestoreAsync(path);

        summary.Header.Should().BeEquivalentTo(new { ClusterId = "old-cluster", NodeId = "n2", machine.AppliedSlot, machine.Revision, KeyCount = 50L });
        summary.Header.Created.Should().Be(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        (summary.Keys, summary.SizeBytes).Should().Be((50, new FileInfo(path).Length));
        summary.StateHash.Should().Be(machine.ComputeStateHash());
        restored.ComputeStateHash().Should().Be(machine.ComputeStateHash());
        restored.AppliedSlot.Should().Be(machine.AppliedSlot);
    }

    [Theory]
    [InlineData(0.5)]     // inside the payload
    [InlineData(0.999)]   // inside the checksum
    [InlineData(0.0)]     // the magic
    public async Task A_flipped_byte_anywhere_is_refused(double where)
    {
        var path = await WriteAsync(MachineWith(50));
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[(int)(where * (bytes.Length - 1))] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        var verify = () => BackupFile.Verify(path);
        var inspect = () => BackupFile.InspectAsync(path);

        verify.Should().Throw<BackupFileException>().Which.Message.Should().MatchRegex("checksum mismatch|not a ReplicatedKv backup");
        await inspect.Should().ThrowAsync<BackupFileException>();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(4000)]
    public async Task A_truncated_file_is_refused(int cut)
    {
        var path = await WriteAsync(MachineWith(100));
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..^Math.Min(cut, bytes.Length - 10)]);

        var restore = () => BackupFile.RestoreAsync(path);

        (await restore.Should().ThrowAsync<BackupFileException>()).Which.Message.Should().MatchRegex("checksum mismatch|truncated");
    }

    [Fact]
    public void A_file_that_is_not_a_backup_is_named_so()
    {
        var path = Path.Combine(_directory, "notes.txt");
        File.WriteAllText(path, new string('x', 500));

        var verify = () => BackupFile.Verify(path);

        verify.Should().Throw<BackupFileException>().WithMessage("not a ReplicatedKv backup file*");
    }

    private static KeyValueStateMachine MachineWith(int keys)
    {
        var machine = new KeyValueStateMachine();
        for (var i = 0; i < keys; i++)
        {
            machine.ApplyOne(Cmd.Set($"key/{i:D3}", new string('v', i * 40)));
        }

        return machine;
    }

    private async Task<string> WriteAsync(KeyValueStateMachine machine)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".rkvsnap");
        await using (var file = File.Create(path))
        {
            await BackupFile.WriteAsync(machine.CreateSnapshotView(), "old-cluster", "n2", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), file);
        }

        return path;
    }
}
