namespace ReplicatedKv.Testing.Checking;

/// <summary>Why the model will not let an operation take effect in a state; the explanation turns it into words.</summary>
internal enum Refusal
{
    None,
    ReadsAnotherWrite,
    ReadsAbsentButPresent,
    ExpectedAbsent,
    ExpectedPresent,
    VersionDiffers,
    VersionOfAnotherWrite,
    CurrentVersionNotIncreasing,
    VersionNotIncreasing,
    NothingToRemove,
    RemoveMissedPresentKey,
}
