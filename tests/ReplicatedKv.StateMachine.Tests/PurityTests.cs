namespace ReplicatedKv.StateMachine.Tests;

/// <summary>The state machine sees commands as bytes and snapshots as streams: it must not depend on consensus or storage.</summary>
public sealed class PurityTests
{
    [Fact]
    public void The_state_machine_references_only_the_base_class_library()
    {
        var referenced = typeof(KeyValueStateMachine).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        referenced.Should().NotBeEmpty();
        referenced.Should().OnlyContain(name => name.StartsWith("System.", StringComparison.Ordinal) || name == "System");
    }
}
