namespace ReplicatedKv.StateMachine.Tests;

/// <summary>Encoded commands and one-command slots, so tests read as the operations they perform.</summary>
internal static class Cmd
{
    public static ReadOnlyMemory<byte> Set(string key, string value, ulong? ifVersion = null, RequestId? id = null) =>
        CommandCodec.Encode(KvCommand.Set(key, System.Text.Encoding.UTF8.GetBytes(value), ifVersion, id));

    public static ReadOnlyMemory<byte> Remove(string key, ulong? ifVersion = null, RequestId? id = null) =>
        CommandCodec.Encode(KvCommand.Remove(key, ifVersion, id));

    /// <summary>Applies <paramref name="command"/> alone in the next slot and returns its result.</summary>
    public static CommandResult ApplyOne(this KeyValueStateMachine machine, ReadOnlyMemory<byte> command) =>
        machine.Apply(machine.AppliedSlot + 1, [command])[0];

    public static string ValueOf(this KeyValueStateMachine machine, string key) =>
        machine.TryGet(key, out var value, out _) ? System.Text.Encoding.UTF8.GetString(value.Span) : "<absent>";

    public static ulong VersionOf(this KeyValueStateMachine machine, string key) =>
        machine.TryGet(key, out _, out var version) ? version : 0;
}
