using System.Diagnostics;
using Xunit.Abstractions;

namespace ReplicatedKv.StateMachine.Tests;

public sealed class SnapshotTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_snapshot_restores_an_equal_state_including_the_client_table()
    {
        var machine = SmallState();
        var hash = machine.ComputeStateHash();

        var restored = await RoundTrip(machine);

        restored.ComputeStateHash().Should().Be(hash);
        restored.AppliedSlot.Should().Be(machine.AppliedSlot);
        restored.Revision.Should().Be(machine.Revision);
        restored.Count.Should().Be(machine.Count);
        restored.ClientSessionCount.Should().Be(2);
        restored.ValueOf("b").Should().Be("beta");
        restored.VersionOf("b").Should().Be(machine.VersionOf("b"));
        restored.Contains("a").Should().BeFalse();
    }

    [Fact]
    public async Task Retries_are_still_recognised_after_a_restore()
    {
        var restored = await RoundTrip(SmallState());
        var slot = restored.AppliedSlot + 1;

        var results = restored.Apply(slot,
        [
            Cmd.Set("b", "beta", id: new RequestId("client-1", 2)),
            Cmd.Set("b", "zzz", id: new RequestId("client-1", 1)),
            Cmd.Set("c", "gamma", ifVersion: 0, id: new RequestId("client-2", 1)),
        ]);

        results.Should().Equal(CommandResult.Ok(3).AsDuplicate(), CommandResult.StaleRequest, CommandResult.FailedPrecondition(5).AsDuplicate());
        restored.ValueOf("b").Should().Be("beta");
    }

    [Fact]
    public async Task A_restored_replica_goes_on_in_step_with_one_that_never_stopped()
    {
        var live = SmallState();
        var restored = await RoundTrip(live);
        ReadOnlyMemory<byte>[] more = [Cmd.Set("d", "delta", id: new RequestId("client-3", 1)), Cmd.Remove("b", ifVersion: 3), Cmd.Set("e", "epsilon")];

        restored.Apply(live.AppliedSlot + 1, more).Should().Equal(live.Apply(live.AppliedSlot + 1, more));

        restored.ComputeStateHash().Should().Be(live.ComputeStateHash());
    }

    [Fact]
    public async Task An_empty_state_round_trips()
    {
        var restored = await RoundTrip(new KeyValueStateMachine());

        restored.Count.Should().Be(0);
        restored.Revision.Should().Be(0);
        restored.AppliedSlot.Should().Be(0);
        restored.ComputeStateHash().Should().Be(new KeyValueStateMachine().ComputeStateHash());
    }

    [Fact]
    public async Task Values_and_keys_larger_than_the_buffers_round_trip()
    {
        var machine = new KeyValueStateMachine();
        var bigValue = new byte[300_000];
        new Random(7).NextBytes(bigValue);
        var bigKey = new string('k', 200_000);
        machine.Apply(1,
        [
            CommandCodec.Encode(KvCommand.Set("big", bigValue)),
            CommandCodec.Encode(KvCommand.Set(bigKey, "small"u8.ToArray(), requestId: new RequestId(new string('c', 100_000), 1))),
            Cmd.Set("after", "the big ones"),
        ]);

        var restored = await RoundTrip(machine);

        restored.TryGet("big", out var value, out _).Should().BeTrue();
        value.ToArray().Should().Equal(bigValue);
        restored.ValueOf(bigKey).Should().Be("small");
        restored.ValueOf("after").Should().Be("the big ones");
        restored.ComputeStateHash().Should().Be(machine.ComputeStateHash());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(65_537)]
    public async Task A_snapshot_read_in_small_pieces_restores_the_same_state(int maxPerRead)
    {
        var machine = SmallState();
        machine.Apply(machine.AppliedSlot + 1, [CommandCodec.Encode(KvCommand.Set("large", new byte[100_000]))]);
        var bytes = await SnapshotBytes(machine);

        var restored = await KeyValueStateMachine.RestoreAsync(new TrickleStream(bytes, maxPerRead));

        restored.ComputeStateHash().Should().Be(machine.ComputeStateHash());
    }

    [Fact]
    public async Task A_view_writes_the_state_as_of_when_it_was_taken()
    {
        var machine = SmallState();
        var hashAtView = machine.ComputeStateHash();
        var view = machine.CreateSnapshotView();

        machine.Apply(machine.AppliedSlot + 1, [Cmd.Set("b", "changed"), Cmd.Set("new", "key"), Cmd.Remove("c"), Cmd.Set("x", "y", id: new RequestId("client-9", 1))]);
        using var stream = new MemoryStream();
        await Task.Run(() => view.WriteAsync(stream));
        stream.Position = 0;
        var restored = await KeyValueStateMachine.RestoreAsync(stream);

        restored.ComputeStateHash().Should().Be(hashAtView);
        view.ComputeStateHash().Should().Be(hashAtView);
        restored.ValueOf("b").Should().Be("beta");
        restored.Contains("new").Should().BeFalse();
        restored.ClientSessionCount.Should().Be(2);
        machine.ComputeStateHash().Should().NotBe(hashAtView);
    }

    [Fact]
    public async Task A_truncated_snapshot_is_refused()
    {
        var bytes = await SnapshotBytes(SmallState());

        for (var length = 0; length < bytes.Length; length++)
        {
            var restore = () => KeyValueStateMachine.RestoreAsync(new MemoryStream(bytes, 0, length));
            await restore.Should().ThrowAsync<SnapshotFormatException>($"{length} of {bytes.Length} bytes");
        }
    }

    [Fact]
    public async Task A_snapshot_with_bytes_after_its_end_or_a_foreign_header_is_refused()
    {
        var bytes = await SnapshotBytes(SmallState());
        var trailing = bytes.Append((byte)0).ToArray();
        var foreign = (byte[])bytes.Clone();
        foreign[0] = (byte)'X';
        var futureFormat = (byte[])bytes.Clone();
        futureFormat[8] = 3;

        await FluentActions.Awaiting(() => KeyValueStateMachine.RestoreAsync(new MemoryStream(trailing))).Should().ThrowAsync<SnapshotFormatException>();
        await FluentActions.Awaiting(() => KeyValueStateMachine.RestoreAsync(new MemoryStream(foreign))).Should().ThrowAsync<SnapshotFormatException>();
        await FluentActions.Awaiting(() => KeyValueStateMachine.RestoreAsync(new MemoryStream(futureFormat))).Should().ThrowAsync<SnapshotFormatException>();
    }

    [Fact]
    public async Task A_million_keys_round_trip()
    {
        const int Keys = 1_000_000;
        var machine = new KeyValueStateMachine();
        var batch = new ReadOnlyMemory<byte>[1000];
        var value = new byte[16];
        for (var slot = 1; slot <= Keys / batch.Length; slot++)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                var n = ((slot - 1) * batch.Length) + i;
                BitConverter.TryWriteBytes(value, n);
                batch[i] = CommandCodec.Encode(KvCommand.Set("key-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture), value));
            }

            machine.Apply(slot, batch);
        }

        machine.ApplyOne(Cmd.Set("key-5", "with a client", id: new RequestId("client", 1)));
        var hash = machine.ComputeStateHash();

        var clock = Stopwatch.StartNew();
        var view = machine.CreateSnapshotView();
        var viewTime = clock.Elapsed;
        using var stream = new MemoryStream();
        await view.WriteAsync(stream);
        var writeTime = clock.Elapsed - viewTime;
        stream.Position = 0;
        var restored = await KeyValueStateMachine.RestoreAsync(stream);
        var restoreTime = clock.Elapsed - writeTime - viewTime;
        output.WriteLine($"1M keys: view {viewTime.TotalMilliseconds:F0} ms, write {writeTime.TotalMilliseconds:F0} ms ({stream.Length / 1e6:F1} MB), restore {restoreTime.TotalMilliseconds:F0} ms");

        restored.Count.Should().Be(Keys);
        restored.Revision.Should().Be(Keys + 1);
        restored.ValueOf("key-5").Should().Be("with a client");
        restored.TryGet("key-999999", out var last, out var lastVersion).Should().BeTrue();
        BitConverter.ToInt32(last.Span).Should().Be(999_999);
        lastVersion.Should().Be(1_000_000);
        restored.ComputeStateHash().Should().Be(hash);
    }

    /// <summary>Three clients' worth of history: a removed key, an overwritten one, a failed precondition, a stale retry.</summary>
    private static KeyValueStateMachine SmallState()
    {
        var machine = new KeyValueStateMachine();
        machine.Apply(1, [Cmd.Set("a", "alpha"), Cmd.Set("b", "beta", id: new RequestId("client-1", 1))]);
        machine.Apply(2, []);
        machine.Apply(3, [Cmd.Set("b", "beta", id: new RequestId("client-1", 2)), Cmd.Remove("a"), Cmd.Set("c", "gamma")]);
        machine.Apply(5, [Cmd.Set("c", "other", ifVersion: 0, id: new RequestId("client-2", 1))]);
        return machine;
    }

    private static async Task<byte[]> SnapshotBytes(KeyValueStateMachine machine)
    {
        using var stream = new MemoryStream();
        await machine.WriteSnapshotAsync(stream);
        return stream.ToArray();
    }

    private static async Task<KeyValueStateMachine> RoundTrip(KeyValueStateMachine machine) =>
        await KeyValueStateMachine.RestoreAsync(new MemoryStream(await SnapshotBytes(machine)));
}
