using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// The verdict on a history. <see cref="IsLinearizable"/> is true only when every key was proven linearizable.
/// Violations are always definite, even when the time budget ran out. When <see cref="TimedOut"/> is set and there
/// are no violations the verdict is inconclusive: neither proven nor refuted, so callers should say so rather than
/// pass or fail the run.
/// </summary>
/// <param name="IsLinearizable">Every key was checked and none has a violation.</param>
/// <param name="TimedOut">The time budget ran out before every key was decided.</param>
/// <param name="KeysChecked">Keys decided (linearizable or not) before the budget ran out.</param>
/// <param name="OperationsChecked">Operations that took part in the decided keys (failed ops and unknown reads are dropped).</param>
/// <param name="Violations">One entry per key found not linearizable, plus any versions reused across keys.</param>
public sealed record LinearizabilityResult(
    bool IsLinearizable,
    bool TimedOut,
    int KeysChecked,
    int OperationsChecked,
    IReadOnlyList<KeyViolation> Violations);

/// <summary>Why one key's history cannot be linearized.</summary>
/// <param name="Key">The key.</param>
/// <param name="Explanation">A few lines for people: the longest linearizable prefix and the operation that cannot follow it.</param>
/// <param name="Operations">The operations the explanation names, most relevant first.</param>
public sealed record KeyViolation(string Key, string Explanation, IReadOnlyList<Operation> Operations);
