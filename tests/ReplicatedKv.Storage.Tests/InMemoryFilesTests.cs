using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Storage.Tests;

/// <summary>The twin's faults and its crash model, which the contract cannot check on a real disk.</summary>
public sealed class InMemoryFilesTests
{
    private const string Root = "/twin/root";
    private readonly InMemoryFiles _files = new();

    public InMemoryFilesTests()
    {
        _files.CreateDirectory(Root);
    }

    [Fact]
    public void A_crash_keeps_synced_bytes_and_loses_the_rest()
    {
        var path = Path.Combine(Root, "a.wal");
        using (var file = _files.Create(path))
        {
            file.Write(0, new byte[] { 1, 2 });
            file.DataSync();
            file.Write(2, new byte[] { 3 });
            _files.SyncDirectory(Root);
            _files.Crash();
            FluentActions.Invoking(() => file.Write(3, new byte[] { 4 })).Should().Throw<IOException>("the process that opened it is gone");
        }

        _files.ReadAll(path).Should().Equal(1, 2);
    }

    [Fact]
    public void A_crash_undoes_creations_renames_and_deletions_no_folder_sync_covered()
    {
        _files.Put(Path.Combine(Root, "kept.wal"), [1]);
        _files.Create(Path.Combine(Root, "new.tmp")).Dispose();
        _files.Move(Path.Combine(Root, "kept.wal"), Path.Combine(Root, "moved.wal"));
        _files.Crash();
        _files.List(Root, "").Should().Equal(Path.Combine(Root, "kept.wal"));

        _files.Create(Path.Combine(Root, "new.wal")).Dispose();
        _files.Delete(Path.Combine(Root, "kept.wal"));
        _files.SyncDirectory(Root);
        _files.Crash();
        _files.List(Root, "").Should().Equal(Path.Combine(Root, "new.wal"));
    }

    [Fact]
    public void A_full_disk_fails_writes_and_creations_with_ENOSPC()
    {
        using var file = _files.Create(Path.Combine(Root, "a.wal"));
        _files.DiskFull = true;
        FluentActions.Invoking(() => file.Write(0, new byte[] { 1 })).Should().Throw<IOException>().Which.HResult.Should().Be(InMemoryFiles.DiskFullHResult);
        FluentActions.Invoking(() => _files.Create(Path.Combine(Root, "b.wal"))).Should().Throw<IOException>().Which.HResult.Should().Be(InMemoryFiles.DiskFullHResult);
        _files.ReadAll(file.Path).Should().BeEmpty();
    }

    [Fact]
    public void Failed_writes_and_syncs_change_nothing_durable()
    {
        using var file = _files.Create(Path.Combine(Root, "a.wal"));
        _files.SyncDirectory(Root);
        _files.FailWrites = true;
        FluentActions.Invoking(() => file.Write(0, new byte[] { 1 })).Should().Throw<IOException>();
        _files.FailWrites = false;
        file.Write(0, new byte[] { 2 });
        _files.FailSyncs = true;
        FluentActions.Invoking(file.DataSync).Should().Throw<IOException>();
        _files.Crash();
        _files.ReadAll(file.Path).Should().BeEmpty();
    }

    [Fact]
    public void A_torn_write_stores_a_prefix_and_fails()
    {
        using var file = _files.Create(Path.Combine(Root, "a.wal"));
        _files.TearNextWrite(keepBytes: 2);
        FluentActions.Invoking(() => file.Write(0, new byte[] { 1, 2, 3, 4 })).Should().Throw<IOException>();
        _files.ReadAll(file.Path).Should().Equal(1, 2);
        file.Write(2, new byte[] { 3 });
        _files.ReadAll(file.Path).Should().Equal(new byte[] { 1, 2, 3 }, "only the next write tears");
    }

    [Fact]
    public void A_crash_during_a_write_leaves_its_prefix_on_disk()
    {
        var path = Path.Combine(Root, "a.wal");
        var file = _files.Create(path);
        _files.SyncDirectory(Root);
        file.Write(0, new byte[] { 1 });
        _files.CrashDuringNextWrite(keepBytes: 1);
        FluentActions.Invoking(() => file.Write(1, new byte[] { 2, 3 })).Should().Throw<SimulatedCrashException>();
        _files.ReadAll(path).Should().Equal(1, 2);
        FluentActions.Invoking(() => file.Write(0, new byte[] { 9 })).Should().Throw<IOException>();
        file.Dispose();
    }

    [Fact]
    public void A_fault_hook_fails_the_operation_it_picks()
    {
        _files.Fault = (operation, path) => operation == FileOperation.Delete ? new IOException("no") : null;
        _files.Put(Path.Combine(Root, "a.wal"), [1]);
        FluentActions.Invoking(() => _files.Delete(Path.Combine(Root, "a.wal"))).Should().Throw<IOException>().WithMessage("no");
        _files.Exists(Path.Combine(Root, "a.wal")).Should().BeTrue();
    }
}
