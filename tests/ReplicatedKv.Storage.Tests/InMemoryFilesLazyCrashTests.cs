using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// The twin's seeded crash (<see cref="InMemoryFiles.Crash(Random)"/>): what it may keep of unsynced writes and
/// folder changes, what it must keep, and the medium damage helpers. Each test runs many seeds and checks both
/// that nothing outside the model ever happens and that every outcome the model allows does happen.
/// </summary>
public sealed class InMemoryFilesLazyCrashTests
{
    private const string Root = "/twin/lazy";
    private const int Page = InMemoryFiles.PageSize;
    private const int Seeds = 200;

    private static string At(string name) => Path.Combine(Root, name);

    private static InMemoryFiles NewFiles()
    {
        var files = new InMemoryFiles();
        files.CreateDirectory(Root);
        return files;
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    [Fact]
    public void Each_unsynced_page_keeps_its_old_or_its_new_bytes_independently_and_synced_bytes_always_survive()
    {
        var outcomes = new HashSet<(byte, byte)>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var files = NewFiles();
            using (var file = files.Create(At("a.wal")))
            {
                file.Write(0, Filled(2 * Page, 1));
                file.DataSync();
                files.SyncDirectory(Root);
                file.Write(0, Filled(2 * Page, 2));
            }

            files.Crash(new Random(seed));
            var content = files.ReadAll(At("a.wal"));
            content.Should().HaveCount(2 * Page, "the length never changed");
            content.AsSpan(0, Page).ToArray().Should().AllBeEquivalentTo(content[0], "a page is written back whole");
            content.AsSpan(Page).ToArray().Should().AllBeEquivalentTo(content[Page], "a page is written back whole");
            outcomes.Add((content[0], content[Page]));
        }

        outcomes.Should().BeEquivalentTo(new[] { ((byte)1, (byte)1), ((byte)1, (byte)2), ((byte)2, (byte)1), ((byte)2, (byte)2) },
            "each page is old or new, independently of the other");
    }

    [Fact]
    public void A_page_written_twice_holds_one_of_its_three_states()
    {
        var seen = new HashSet<byte>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var files = NewFiles();
            files.Put(At("a.wal"), Filled(16, 1));
            using (var file = files.OpenExisting(At("a.wal")))
            {
                file.Write(0, Filled(16, 2));
                file.Write(0, Filled(16, 3));
            }

            files.Crash(new Random(seed));
            var content = files.ReadAll(At("a.wal"));
            content.Should().AllBeEquivalentTo(content[0], "the page holds one state whole");
            seen.Add(content[0]);
        }

        seen.Order().Should().Equal(1, 2, 3);
    }

    [Fact]
    public void An_unsynced_append_may_grow_the_file_with_or_without_its_bytes()
    {
        var outcomes = new HashSet<string>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var files = NewFiles();
            files.Put(At("a.wal"), [7]);
            using (var file = files.OpenExisting(At("a.wal")))
            {
                file.Write(Page, Filled(10, 5));
            }

            files.Crash(new Random(seed));
            var content = files.ReadAll(At("a.wal"));
            content[0].Should().Be(7, "synced bytes survive");
            content.Length.Should().BeOneOf(1, Page + 10);
            outcomes.Add(content.Length == 1 ? "short" : content[Page] == 5 ? "grown with bytes" : "grown with zeros");
            if (content.Length > 1)
            {
                content.AsSpan(1, Page - 1).ToArray().Should().AllBeEquivalentTo((byte)0, "the gap was never written");
            }
        }

        outcomes.Should().BeEquivalentTo(["short", "grown with bytes", "grown with zeros"]);
    }

    [Fact]
    public void A_truncation_no_sync_covered_may_be_undone()
    {
        var lengths = new HashSet<int>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var files = NewFiles();
            files.Put(At("a.wal"), Filled(100, 4));
            using (var file = files.OpenExisting(At("a.wal")))
            {
                file.SetLength(10);
            }

            files.Crash(new Random(seed));
            var content = files.ReadAll(At("a.wal"));
            content.AsSpan(0, 10).ToArray().Should().AllBeEquivalentTo((byte)4, "the bytes the truncation kept were synced");

            // Beyond them the length and the page are caught independently: the old length may show the cut page's zeros.
            content.Skip(10).Where(b => b is not (4 or 0)).Should().BeEmpty();
            lengths.Add(content.Length);
        }

        lengths.Should().BeEquivalentTo([10, 100]);
    }

    [Fact]
    public void A_folder_keeps_a_prefix_of_its_unsynced_name_changes_and_all_synced_ones()
    {
        var outcomes = new HashSet<string>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var files = NewFiles();
            files.Put(At("old.wal"), [1]);
            files.Create(At("a.tmp")).Dispose();
            files.Move(At("a.tmp"), At("a.wal"));
            files.Delete(At("old.wal"));
            files.Crash(new Random(seed));
            var names = string.Join(" ", files.List(Root, "").Select(Path.GetFileName));

            // Prefixes of [create a.tmp, a.tmp -> a.wal, delete old.wal].
            names.Should().BeOneOf("old.wal", "a.tmp old.wal", "a.wal old.wal", "a.wal");
            outcomes.Add(names);
        }

        outcomes.Should().HaveCount(4, "every prefix happens on some seed");

        var synced = NewFiles();
        synced.Create(At("a.wal")).Dispose();
        synced.SyncDirectory(Root);
        synced.Crash(new Random(1));
        synced.List(Root, "").Should().Equal(At("a.wal"));
    }

    [Fact]
    public void The_same_seed_keeps_the_same_bytes_and_files_opened_before_the_crash_are_dead()
    {
        byte[] Run(out IStorageFile stale)
        {
            var files = NewFiles();
            stale = files.Create(At("a.wal"));
            files.SyncDirectory(Root);
            for (var i = 0; i < 8; i++)
            {
                stale.Write(i * Page, Filled(Page, (byte)(i + 1)));
            }

            files.Crash(new Random(42));
            return files.ReadAll(At("a.wal"));
        }

        var first = Run(out var dead);
        Run(out _).Should().Equal(first);
        FluentActions.Invoking(() => dead.Write(0, new byte[] { 1 })).Should().Throw<IOException>("the process that opened it is gone");
    }

    [Fact]
    public void Bit_flips_and_zeroed_ranges_damage_synced_bytes_for_good()
    {
        var files = NewFiles();
        files.Put(At("a.wal"), Filled(8, 0xF0));
        files.BitFlip(At("a.wal"), 1, 0);
        files.ZeroRange(At("a.wal"), 4, 2);
        files.SyncedLength(At("a.wal")).Should().Be(8);
        files.Crash(new Random(3));
        files.ReadAll(At("a.wal")).Should().Equal(0xF0, 0xF1, 0xF0, 0xF0, 0, 0, 0xF0, 0xF0);
    }

    [Fact]
    public void Length_and_synced_length_tell_the_unsynced_tail()
    {
        var files = NewFiles();
        files.Put(At("a.wal"), [1, 2]);
        using var file = files.OpenExisting(At("a.wal"));
        file.Write(2, new byte[] { 3, 4, 5 });
        files.Length(At("a.wal")).Should().Be(5);
        files.SyncedLength(At("a.wal")).Should().Be(2);
        file.DataSync();
        files.SyncedLength(At("a.wal")).Should().Be(5);
    }
}
