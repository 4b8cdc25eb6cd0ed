namespace ReplicatedKv.StateMachine.Tests;

public sealed class VersionTests
{
    [Fact]
    public void Every_applied_write_takes_the_next_revision_and_nothing_else_does()
    {
        var machine = new KeyValueStateMachine();
        var results = machine.Apply(1,
        [
            Cmd.Set("a", "1"),          // 1
            Cmd.Set("b", "1"),          // 2
            Cmd.Set("a", "2"),          // 3
            Cmd.Remove("missing"),      // no write
            Cmd.Set("a", "3", ifVersion: 99), // no write
            Cmd.Remove("b"),            // 4
            Cmd.Set("c", "1"),          // 5
        ]);

        results.Where(r => r.Status == CommandStatus.Ok).Select(r => r.Version).Should().Equal(1UL, 2UL, 3UL, 4UL, 5UL);
        machine.Revision.Should().Be(5);
        machine.VersionOf("a").Should().Be(3);
        machine.VersionOf("c").Should().Be(5);
    }

    [Fact]
    public void Two_replicas_given_the_same_slots_agree_on_every_result_and_the_state()
    {
        var random = new Random(1234);
        var slots = new List<ReadOnlyMemory<byte>[]>();
        for (var s = 0; s < 200; s++)
        {
            var batch = new ReadOnlyMemory<byte>[random.Next(0, 6)];
            for (var i = 0; i < batch.Length; i++)
            {
                var key = "k" + random.Next(20);
                var id = random.Next(3) == 0 ? new RequestId("c" + random.Next(4), (ulong)random.Next(30)) : (RequestId?)null;
                ulong? ifVersion = random.Next(4) == 0 ? (ulong)random.Next(0, 40) : null;
                batch[i] = random.Next(4) == 0
                    ? Cmd.Remove(key, ifVersion, id)
                    : Cmd.Set(key, "v" + random.Next(1000), ifVersion, id);
            }

            slots.Add(batch);
        }

        var first = new KeyValueStateMachine();
        var second = new KeyValueStateMachine();
        for (var s = 0; s < slots.Count; s++)
        {
            var firstResults = first.Apply(s + 1, slots[s]);
            var secondResults = second.Apply(s + 1, slots[s]);
            secondResults.Should().Equal(firstResults, $"slot {s + 1}");
        }

        first.Revision.Should().BeGreaterThan(50, "the workload should write a lot");
        second.Revision.Should().Be(first.Revision);
        second.ComputeStateHash().Should().Be(first.ComputeStateHash());
        for (var k = 0; k < 20; k++)
        {
            second.VersionOf("k" + k).Should().Be(first.VersionOf("k" + k));
            second.ValueOf("k" + k).Should().Be(first.ValueOf("k" + k));
        }
    }

    [Fact]
    public void The_state_hash_tells_apart_states_that_differ_in_a_value_or_a_version()
    {
        var a = new KeyValueStateMachine();
        var b = new KeyValueStateMachine();
        var c = new KeyValueStateMachine();
        a.Apply(1, [Cmd.Set("x", "1"), Cmd.Set("y", "2")]);
        b.Apply(1, [Cmd.Set("x", "1"), Cmd.Set("y", "3")]);
        c.Apply(1, [Cmd.Set("y", "2"), Cmd.Set("x", "1")]);

        b.ComputeStateHash().Should().NotBe(a.ComputeStateHash(), "a value differs");
        c.ComputeStateHash().Should().NotBe(a.ComputeStateHash(), "the versions differ");
        a.ComputeStateHash().Should().MatchRegex("^[0-9a-f]{64}$");
    }
}
