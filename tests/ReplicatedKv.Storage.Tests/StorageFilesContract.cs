using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// What the write-ahead log relies on from <see cref="IStorageFiles"/>, checked against the real disk and against
/// the twin the fault tests use, so the twin cannot drift from what the disk does.
/// </summary>
public abstract class StorageFilesContract
{
    /// <summary>The implementation under test.</summary>
    protected abstract IStorageFiles Files { get; }

    /// <summary>An existing, empty folder for the test's files.</summary>
    protected abstract string Root { get; }

    private string At(string name) => Path.Combine(Root, name);

    [Fact]
    public void Written_bytes_read_back_and_writes_at_an_offset_overwrite_and_grow_the_file()
    {
        using (var file = Files.Create(At("a.wal")))
        {
            file.Path.Should().Be(At("a.wal"));
            file.Write(0, new byte[] { 1, 2, 3, 4 });
            file.Write(2, new byte[] { 9, 9, 9 });
            file.DataSync();
        }

        Files.ReadAll(At("a.wal")).Should().Equal(1, 2, 9, 9, 9);
    }

    [Fact]
    public void A_write_past_the_end_leaves_zeros_in_the_gap()
    {
        using (var file = Files.Create(At("a.wal")))
        {
            file.Write(3, new byte[] { 7 });
        }

        Files.ReadAll(At("a.wal")).Should().Equal(0, 0, 0, 7);
    }

    [Fact]
    public void Create_empties_an_existing_file_and_OpenExisting_keeps_it()
    {
        using (var file = Files.Create(At("a.wal")))
        {
            file.Write(0, new byte[] { 1, 2, 3 });
        }

        using (var file = Files.OpenExisting(At("a.wal")))
        {
            file.Write(3, new byte[] { 4 });
        }

        Files.ReadAll(At("a.wal")).Should().Equal(1, 2, 3, 4);
        Files.Create(At("a.wal")).Dispose();
        Files.ReadAll(At("a.wal")).Should().BeEmpty();
    }

    [Fact]
    public void SetLength_cuts_the_file_and_extends_it_with_zeros()
    {
        using (var file = Files.Create(At("a.wal")))
        {
            file.Write(0, new byte[] { 1, 2, 3, 4, 5 });
            file.SetLength(2);
            file.Write(4, new byte[] { 6 });
            file.SetLength(6);
        }

        Files.ReadAll(At("a.wal")).Should().Equal(1, 2, 0, 0, 6, 0);
    }

    [Fact]
    public void Move_replaces_the_destination_and_removes_the_source()
    {
        using (var file = Files.Create(At("new.tmp")))
        {
            file.Write(0, new byte[] { 1 });
        }

        using (var file = Files.Create(At("old.wal")))
        {
            file.Write(0, new byte[] { 2, 2 });
        }

        Files.Move(At("new.tmp"), At("old.wal"));
        Files.SyncDirectory(Root);
        Files.ReadAll(At("old.wal")).Should().Equal(1);
        Files.List(Root, ".tmp").Should().BeEmpty();
    }

    [Fact]
    public void Delete_removes_a_file_and_deleting_a_missing_one_does_nothing()
    {
        Files.Create(At("a.wal")).Dispose();
        Files.Delete(At("a.wal"));
        Files.Delete(At("a.wal"));
        Files.Delete(At("never.wal"));
        Files.List(Root, ".wal").Should().BeEmpty();
    }

    [Fact]
    public void List_gives_full_paths_of_the_files_with_the_suffix_directly_in_the_folder_in_ordinal_order()
    {
        Files.CreateDirectory(At("sub"));
        foreach (var name in new[] { "0002.wal", "0001.wal", "0003.wal.tmp", "B.wal", "a.wal", Path.Combine("sub", "0004.wal") })
        {
            Files.Create(At(name)).Dispose();
        }

        Files.List(Root, ".wal").Should().Equal(At("0001.wal"), At("0002.wal"), At("B.wal"), At("a.wal"));
        Files.List(Root, ".wal.tmp").Should().Equal(At("0003.wal.tmp"));
    }

    [Fact]
    public void Missing_files_and_folders_are_reported_as_the_disk_reports_them()
    {
        FluentActions.Invoking(() => Files.ReadAll(At("missing.wal"))).Should().Throw<FileNotFoundException>();
        FluentActions.Invoking(() => Files.OpenExisting(At("missing.wal"))).Should().Throw<FileNotFoundException>();
        FluentActions.Invoking(() => Files.Create(Path.Combine(Root, "no-such-folder", "a.wal"))).Should().Throw<DirectoryNotFoundException>();
    }

    [Fact]
    public void CreateDirectory_makes_the_parents_too_and_may_be_repeated()
    {
        var nested = Path.Combine(Root, "x", "y");
        Files.CreateDirectory(nested);
        Files.CreateDirectory(nested);
        Files.Create(Path.Combine(nested, "a.wal")).Dispose();
        Files.SyncDirectory(nested);
        Files.List(nested, ".wal").Should().Equal(Path.Combine(nested, "a.wal"));
    }
}

/// <summary>The contract on the real disk, in a temporary folder.</summary>
public sealed class OsStorageFilesContractTests : StorageFilesContract, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override IStorageFiles Files => OsStorageFiles.Instance;

    protected override string Root => _directory.Path;

    public void Dispose() => _directory.Dispose();
}

/// <summary>The contract on the twin.</summary>
public sealed class InMemoryFilesContractTests : StorageFilesContract
{
    private readonly InMemoryFiles _files = new();

    public InMemoryFilesContractTests()
    {
        _files.CreateDirectory(Root);
    }

    protected override IStorageFiles Files => _files;

    protected override string Root => "/twin/root";
}
