using ReplicatedKv.Testing.Builds;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// The failpoints (a SIGKILL inside a log write) are test equipment: the Release build of the storage library, the
/// one the deploy image publishes, must not contain them, while the builds the chaos runs start do.
/// </summary>
public sealed class ReleaseBuildTests
{
    private static readonly string[] FailpointTypes = ["Failpoints", "StorageFaults"];

    [Fact]
    public void The_release_build_of_the_storage_library_has_no_failpoints_and_the_build_under_test_does_where_fault_injection_is_on()
    {
        ReleaseBuild.TestOnlySymbolsIn("ReplicatedKv.Storage", FailpointTypes, []).Should().BeEmpty("Release never carries the failpoints");

        // The same check on the assembly under test, so it is known to find the type where it is.
        var underTest = TestOnlySymbols.Find(typeof(WriteAheadLog).Assembly.Location, FailpointTypes, []);
#if RKV_FAULT_INJECTION
        underTest.Should().Contain("type Failpoints", "this build defines RKV_FAULT_INJECTION");
        underTest.Should().Contain("type StorageFaults", "this build defines RKV_FAULT_INJECTION");
#else
        underTest.Should().BeEmpty("this build does not define RKV_FAULT_INJECTION");
#endif
    }
}
