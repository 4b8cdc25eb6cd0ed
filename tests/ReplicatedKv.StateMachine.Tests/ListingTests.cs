using System.Text;

namespace ReplicatedKv.StateMachine.Tests;

public sealed class ListingTests
{
    [Fact]
    public void Keys_come_in_utf8_byte_order_even_where_utf16_order_differs()
    {
        // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after its surrogates in UTF-16.
        var machine = With("\U0001F600", "\uFF21", "b", "a", "ab", "é");

        Keys(machine.List(new ListQuery())).Should().Equal("a", "ab", "b", "é", "\uFF21", "\U0001F600");
    }

    [Fact]
    public void The_order_agrees_with_comparing_utf8_bytes_for_random_keys()
    {
        var random = new Random(17);
        char[] alphabet = ['a', 'z', '\u00E9', '\uD7FF', '\uE000', '\uFFFF'];
        var keys = Enumerable.Range(0, 2000).Select(_ => RandomKey(random, alphabet)).Distinct().ToArray();
        var machine = With(keys);

        var expected = keys.OrderBy(k => Encoding.UTF8.GetBytes(k), ByteOrder.Instance).ToArray();
        Keys(machine.List(new ListQuery { Limit = 10_000 })).Should().Equal(expected);
    }

    [Fact]
    public void A_prefix_selects_exactly_the_keys_that_start_with_it()
    {
        var machine = With("a", "ap", "apple", "apply", "apq", "b");

        Keys(machine.List(new ListQuery { Prefix = "app" })).Should().Equal("apple", "apply");
    }

    [Fact]
    public void An_empty_prefix_selects_every_key()
    {
        Keys(With("c", "a", "b").List(new ListQuery { Prefix = "" })).Should().Equal("a", "b", "c");
    }

    [Theory]
    [InlineData("\uFFFF")]
    [InlineData("\U0010FFFF")]
    public void A_prefix_of_the_highest_characters_still_finds_its_keys_and_stops_at_the_end(string highest)
    {
        // The largest UTF-8 sequences (EF BF BF, F4 8F BF BF): a prefix whose "next prefix" overflows.
        var machine = With("a", highest, highest + "a", highest + highest, "\uFFFE");

        Keys(machine.List(new ListQuery { Prefix = highest })).Should().Equal(highest, highest + "a", highest + highest);
    }

    [Fact]
    public void A_range_includes_its_start_and_excludes_its_end()
    {
        var machine = With("a", "b", "c", "d");

        Keys(machine.List(new ListQuery { Start = "b", End = "d" })).Should().Equal("b", "c");
        Keys(machine.List(new ListQuery { Start = "bb" })).Should().Equal("c", "d");
    }

    [Theory]
    [InlineData("b", "b")]
    [InlineData("c", "b")]
    public void A_range_whose_end_is_not_after_its_start_is_empty(string start, string end)
    {
        var page = With("a", "b", "c").List(new ListQuery { Start = start, End = end });

        page.Entries.Should().BeEmpty();
        page.HasMore.Should().BeFalse();
    }

    [Fact]
    public void A_page_stops_at_its_limit_and_says_more_follow_only_when_they_do()
    {
        var machine = With("a", "b", "c");

        var first = machine.List(new ListQuery { Limit = 2 });
        var last = machine.List(new ListQuery { Limit = 2, After = "b" });

        Keys(first).Should().Equal("a", "b");
        first.HasMore.Should().BeTrue();
        Keys(last).Should().Equal("c");
        last.HasMore.Should().BeFalse();
        machine.List(new ListQuery { Limit = 3 }).HasMore.Should().BeFalse("exactly the limit matched");
    }

    [Fact]
    public void A_page_stops_early_when_its_values_reach_the_byte_budget_but_holds_at_least_one_key()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, [Cmd.Set("a", "12345"), Cmd.Set("b", "12345"), Cmd.Set("c", "12345")]);

        Keys(machine.List(new ListQuery { MaxValueBytes = 8 })).Should().Equal("a", "b");
        Keys(machine.List(new ListQuery { MaxValueBytes = 1 })).Should().Equal("a");
        Keys(machine.List(new ListQuery { MaxValueBytes = 1, KeysOnly = true })).Should().Equal("a", "b", "c");
    }

    [Fact]
    public void Entries_carry_value_revisions_and_version_unless_keys_only()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, [Cmd.Set("k", "one"), Cmd.Set("k", "two")]);

        var full = machine.List(new ListQuery()).Entries.Single();
        var keysOnly = machine.List(new ListQuery { KeysOnly = true }).Entries.Single();

        Encoding.UTF8.GetString(full.Value.Span).Should().Be("two");
        (full.ModRevision, full.CreateRevision, full.Version).Should().Be((2UL, 1UL, 2UL));
        keysOnly.Value.IsEmpty.Should().BeTrue();
        keysOnly.ModRevision.Should().Be(2);
    }

    [Fact]
    public void A_page_names_the_revision_and_slot_it_was_read_at()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(4, [Cmd.Set("a", "1"), Cmd.Set("b", "1")]);

        var page = machine.List(new ListQuery());

        (page.Revision, page.AppliedSlot).Should().Be((2UL, 4L));
    }

    [Fact]
    public void Paging_while_keys_come_and_go_returns_every_key_present_throughout_exactly_once()
    {
        var random = new Random(5);
        var stable = Enumerable.Range(0, 3000).Select(i => $"stable-{i:D5}").ToArray();
        var machine = With(stable);
        var seen = new List<string>();
        string? after = null;
        var churn = 0;
        while (true)
        {
            var page = machine.List(new ListQuery { Limit = 97, After = after });
            seen.AddRange(Keys(page));
            if (!page.HasMore)
            {
                break;
            }

            after = page.Entries[^1].Key;
            // Between pages: new keys before and after the cursor, removals of other churn keys, overwrites of stable keys.
            machine.Apply(machine.AppliedSlot + 1,
            [
                Cmd.Set($"stable-{random.Next(3000):D5}-churn-{churn}", "x"),
                Cmd.Remove($"stable-{random.Next(3000):D5}-churn-{churn - 1}"),
                Cmd.Set(stable[random.Next(stable.Length)], "overwritten"),
            ]);
            churn++;
        }

        seen.Should().OnlyHaveUniqueItems();
        seen.Where(k => !k.Contains("churn", StringComparison.Ordinal)).Should().Equal(stable);
    }

    [Fact]
    public void The_index_follows_removals_and_recreations()
    {
        var machine = With("a", "b", "c");
        machine.Apply(machine.AppliedSlot + 1, [Cmd.Remove("b"), Cmd.Remove("a"), Cmd.Set("a", "again"), Cmd.Remove("missing")]);

        Keys(machine.List(new ListQuery())).Should().Equal("a", "c");
    }

    [Fact]
    public void The_index_agrees_with_the_table_after_many_random_writes_spanning_many_chunks()
    {
        var random = new Random(99);
        var machine = new KeyValueStateMachine();
        var model = new HashSet<string>();
        for (var slot = 1; slot <= 400; slot++)
        {
            var batch = new ReadOnlyMemory<byte>[50];
            for (var i = 0; i < batch.Length; i++)
            {
                var key = "k" + random.Next(5000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
                if (random.Next(3) == 0)
                {
                    batch[i] = Cmd.Remove(key);
                    model.Remove(key);
                }
                else
                {
                    batch[i] = Cmd.Set(key, "v");
                    model.Add(key);
                }
            }

            machine.Apply(slot, batch);
        }

        Keys(machine.List(new ListQuery { Limit = 10_000 })).Should().Equal(model.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_restored_state_machine_lists_the_same_pages()
    {
        var machine = With(Enumerable.Range(0, 1500).Select(i => $"key-{i}").ToArray());
        using var stream = new MemoryStream();
        await machine.WriteSnapshotAsync(stream);
        stream.Position = 0;

        var restored = await KeyValueStateMachine.RestoreAsync(stream);

        Keys(restored.List(new ListQuery { Limit = 2000 })).Should().Equal(Keys(machine.List(new ListQuery { Limit = 2000 })));
        Keys(restored.List(new ListQuery { Prefix = "key-14" })).Should().Equal(Keys(machine.List(new ListQuery { Prefix = "key-14" })));
    }

    [Fact]
    public void A_state_machine_without_the_index_refuses_to_list_but_applies_the_same()
    {
        var plain = KeyValueStateMachine.WithoutSortedIndex();
        var indexed = new KeyValueStateMachine();
        ReadOnlyMemory<byte>[] writes = [Cmd.Set("a", "1"), Cmd.Set("a", "2"), Cmd.Remove("a"), Cmd.Set("b", "1")];

        plain.Apply(1, writes).Should().Equal(indexed.Apply(1, writes));

        plain.ComputeStateHash().Should().Be(indexed.ComputeStateHash());
        FluentActions.Invoking(() => plain.List(new ListQuery())).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Keys_created_and_removed_while_nobody_lists_do_not_pile_up_in_the_index()
    {
        var entries = new Dictionary<string, VersionedValue>(StringComparer.Ordinal);
        var index = new ListingIndex(entries, new SortedKeyIndex());
        for (var i = 0; i < 300_000; i++)
        {
            var key = "k" + (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture);
            entries[key] = new VersionedValue([], 1, 1, 1);
            index.Added(key);
            entries.Remove(key);
            index.Removed(key);
        }

        index.PendingCount.Should().BeLessThan(1 << 17);
        index.Current().Count.Should().Be(0);
    }

    internal static KeyValueStateMachine With(params string[] keys)
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, keys.Select(k => Cmd.Set(k, "value of " + k)).ToArray());
        return machine;
    }

    private static string[] Keys(ListPage page) => page.Entries.Select(e => e.Key).ToArray();

    private static string RandomKey(Random random, char[] alphabet)
    {
        var builder = new StringBuilder();
        var length = random.Next(1, 5);
        for (var i = 0; i < length; i++)
        {
            if (random.Next(5) == 0)
            {
                builder.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF)));
            }
            else
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }
        }

        return builder.ToString();
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
