namespace ReplicatedKv.StateMachine;

/// <summary>What a command does to the table. The numeric values are the kind byte on the wire: never renumber.</summary>
public enum CommandKind : byte
{
    /// <summary>Writes a value under a key, creating the key if needed.</summary>
    Set = 1,

    /// <summary>Deletes a key.</summary>
    Remove = 2,
}
