namespace ReplicatedKv.Testing.Checking;

/// <summary>One linearized operation on the search stack.</summary>
/// <param name="Operation">The operation linearized.</param>
/// <param name="StateBefore">The model state before it, restored when the search backtracks.</param>
/// <param name="Forced">It was the only way on from the configuration before it, which therefore fails with it.</param>
internal readonly record struct SearchFrame(int Operation, KeyState StateBefore, bool Forced);
