namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// The sequential specification of one key: which operations may take effect in a state, and the state after.
/// Versions are cluster-wide revisions, so on one key they strictly increase in apply order and no two writes share one.
/// </summary>
/// <param name="versionsOfWrites">Every version the history ties to a particular write of this key.</param>
internal sealed class KeyModel(HashSet<ulong> versionsOfWrites)
{
    public Refusal Step(in ModelOperation operation, in KeyState state, out KeyState next)
    {
        next = state;
        switch (operation.Kind)
        {
            case ModelOperationKind.Read:
                return state.Current == operation.Write ? Refusal.None : Refusal.ReadsAnotherWrite;

            case ModelOperationKind.ReadAbsent:
                return state.IsPresent ? Refusal.ReadsAbsentButPresent : Refusal.None;

            case ModelOperationKind.Mismatch:
                return MatchCurrentVersion(operation.Version, ref next);

            case ModelOperationKind.Set:
            {
                var refusal = MatchGuard(operation, ref next);
                if (refusal != Refusal.None)
                {
                    return refusal;
                }

                if (operation.Version != 0 && operation.Version <= next.MaxVersion)
                {
                    return Refusal.VersionNotIncreasing;
                }

                next = new KeyState(operation.Write, operation.Version, Math.Max(next.MaxVersion, operation.Version));
                return Refusal.None;
            }

            case ModelOperationKind.Remove:
            {
                var refusal = MatchGuard(operation, ref next);
                if (refusal != Refusal.None)
                {
                    return refusal;
                }

                if (!next.IsPresent)
                {
                    return Refusal.NothingToRemove;
                }

                if (operation.Version != 0 && operation.Version <= next.MaxVersion)
                {
                    return Refusal.VersionNotIncreasing;
                }

                next = new KeyState(KeyState.Absent, 0, Math.Max(next.MaxVersion, operation.Version));
                return Refusal.None;
            }

            case ModelOperationKind.RemoveNothing:
            {
                var refusal = MatchGuard(operation, ref next);
                return refusal != Refusal.None ? refusal
                    : next.IsPresent ? Refusal.RemoveMissedPresentKey
                    : Refusal.None;
            }

            default:
                throw new InvalidOperationException($"unknown model operation {operation.Kind}");
        }
    }

    private Refusal MatchGuard(in ModelOperation operation, ref KeyState state) =>
        operation.Guard is { } guard ? MatchCurrentVersion(guard, ref state) : Refusal.None;

    /// <summary>
    /// Whether the key's current version can be <paramref name="version"/> (0 = absent). When the current write's
    /// version is not known yet, this is where it is learned, which later guards and replies must then agree with.
    /// </summary>
    private Refusal MatchCurrentVersion(ulong version, ref KeyState state)
    {
        if (version == 0)
        {
            return state.IsPresent ? Refusal.ExpectedAbsent : Refusal.None;
        }

        if (!state.IsPresent)
        {
            return Refusal.ExpectedPresent;
        }

        if (state.CurrentVersion != 0)
        {
            return state.CurrentVersion == version ? Refusal.None : Refusal.VersionDiffers;
        }

        // Only a write of unknown outcome no read saw has no known version; a version the history ties to some other
        // write cannot be its version.
        if (versionsOfWrites.Contains(version))
        {
            return Refusal.VersionOfAnotherWrite;
        }

        if (version <= state.MaxVersion)
        {
            return Refusal.CurrentVersionNotIncreasing;
        }

        state = state with { CurrentVersion = version, MaxVersion = version };
        return Refusal.None;
    }
}
