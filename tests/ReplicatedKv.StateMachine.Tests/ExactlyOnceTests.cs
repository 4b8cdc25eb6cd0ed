namespace ReplicatedKv.StateMachine.Tests;

public sealed class ExactlyOnceTests
{
    private static readonly RequestId First = new("client-1", 1);

    [Fact]
    public void A_retried_request_applies_once_and_gets_the_first_result()
    {
        var machine = new KeyValueStateMachine();

        var original = machine.ApplyOne(Cmd.Set("a", "1", id: First));
        machine.ApplyOne(Cmd.Set("b", "other writer"));
        var retry = machine.ApplyOne(Cmd.Set("a", "1", id: First));

        original.Should().Be(CommandResult.Ok(1));
        retry.Should().Be(CommandResult.Ok(1).AsDuplicate());
        retry.IsDuplicate.Should().BeTrue();
        machine.Revision.Should().Be(2);
        machine.VersionOf("a").Should().Be(1);
    }

    [Fact]
    public void A_retry_in_the_same_batch_is_recognised()
    {
        var machine = new KeyValueStateMachine();

        var results = machine.Apply(1, [Cmd.Remove("a", id: First), Cmd.Set("a", "x"), Cmd.Remove("a", id: First)]);

        results.Should().Equal(CommandResult.NotFound, CommandResult.Ok(1), CommandResult.NotFound.AsDuplicate());
        machine.Contains("a").Should().BeTrue("the retried remove must not apply a second time");
    }

    [Fact]
    public void A_retry_gets_the_first_result_even_when_that_was_a_failure()
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("a", "x"));

        var original = machine.ApplyOne(Cmd.Set("a", "y", ifVersion: 0, id: First));
        machine.ApplyOne(Cmd.Remove("a"));
        var retry = machine.ApplyOne(Cmd.Set("a", "y", ifVersion: 0, id: First));

        original.Should().Be(CommandResult.FailedPrecondition(1));
        retry.Should().Be(CommandResult.FailedPrecondition(1).AsDuplicate());
        machine.Contains("a").Should().BeFalse("the retry must not be evaluated afresh against the now-absent key");
    }

    [Fact]
    public void A_sequence_older_than_the_latest_is_refused_as_stale()
    {
        var machine = new KeyValueStateMachine();
        machine.ApplyOne(Cmd.Set("a", "1", id: new RequestId("client-1", 5)));
        machine.ApplyOne(Cmd.Set("a", "2", id: new RequestId("client-1", 6)));

        var stale = machine.ApplyOne(Cmd.Set("a", "old", id: new RequestId("client-1", 5)));

        stale.Should().Be(CommandResult.StaleRequest);
        machine.ValueOf("a").Should().Be("2");
        machine.Revision.Should().Be(2);
    }

    [Fact]
    public void Clients_are_told_apart_and_requests_without_an_id_always_apply()
    {
        var machine = new KeyValueStateMachine();

        machine.ApplyOne(Cmd.Set("a", "1", id: new RequestId("client-1", 1))).Should().Be(CommandResult.Ok(1));
        machine.ApplyOne(Cmd.Set("a", "2", id: new RequestId("client-2", 1))).Should().Be(CommandResult.Ok(2));
        machine.ApplyOne(Cmd.Set("a", "3")).Should().Be(CommandResult.Ok(3));
        machine.ApplyOne(Cmd.Set("a", "3")).Should().Be(CommandResult.Ok(4));

        machine.ClientSessionCount.Should().Be(2);
    }

    [Fact]
    public void A_client_is_forgotten_once_more_revisions_than_the_window_have_passed()
    {
        var machine = new KeyValueStateMachine(new StateMachineOptions { ClientSessionRevisionWindow = 3 });
        machine.ApplyOne(Cmd.Set("a", "1", id: First)); // revision 1; client-1 active at 1
        machine.ApplyOne(Cmd.Set("b", "1"));            // 2
        machine.ApplyOne(Cmd.Set("b", "2"));            // 3
        machine.ApplyOne(Cmd.Set("b", "3"));            // 4: 4 - 1 = 3, still within the window

        machine.ClientSessionCount.Should().Be(1);
        machine.ApplyOne(Cmd.Set("a", "1", id: First)).IsDuplicate.Should().BeTrue();

        machine.ApplyOne(Cmd.Set("b", "4"));            // 5: 5 - 1 > 3, forgotten
        machine.ClientSessionCount.Should().Be(0);

        // The documented price of forgetting: a very late retry applies again.
        machine.ApplyOne(Cmd.Set("a", "1", id: First)).Should().Be(CommandResult.Ok(6));
    }

    [Fact]
    public void Activity_keeps_a_client_remembered()
    {
        var machine = new KeyValueStateMachine(new StateMachineOptions { ClientSessionRevisionWindow = 2 });
        for (ulong sequence = 1; sequence <= 10; sequence++)
        {
            machine.ApplyOne(Cmd.Set("a", "v", id: new RequestId("busy", sequence)));
            machine.ApplyOne(Cmd.Set("b", "v"));
        }

        machine.ClientSessionCount.Should().Be(1);
        machine.ApplyOne(Cmd.Set("a", "v", id: new RequestId("busy", 10))).IsDuplicate.Should().BeTrue();
    }

    [Fact]
    public void Beyond_the_session_limit_the_least_recently_active_client_is_forgotten()
    {
        var machine = new KeyValueStateMachine(new StateMachineOptions { MaxClientSessions = 2 });
        machine.ApplyOne(Cmd.Remove("x", id: new RequestId("c1", 1)));
        machine.ApplyOne(Cmd.Remove("x", id: new RequestId("c2", 1)));
        machine.ApplyOne(Cmd.Remove("x", id: new RequestId("c1", 2)));  // c1 is now the more recent
        machine.ApplyOne(Cmd.Remove("x", id: new RequestId("c3", 1)));  // evicts c2

        machine.ClientSessionCount.Should().Be(2);
        machine.ApplyOne(Cmd.Remove("x", id: new RequestId("c1", 2))).IsDuplicate.Should().BeTrue();
        machine.ApplyOne(Cmd.Remove("x", id: new RequestId("c3", 1))).IsDuplicate.Should().BeTrue();
        machine.ApplyOne(Cmd.Remove("x", id: new RequestId("c2", 1))).IsDuplicate.Should().BeFalse();
    }

    [Fact]
    public void A_session_limit_below_one_is_refused()
    {
        var create = () => new KeyValueStateMachine(new StateMachineOptions { MaxClientSessions = 0 });

        create.Should().Throw<ArgumentOutOfRangeException>();
    }
}
