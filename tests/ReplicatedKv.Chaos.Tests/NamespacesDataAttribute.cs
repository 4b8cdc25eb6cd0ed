using System.Reflection;
using Xunit.Sdk;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// The theory row <c>"namespaces"</c>, skipped (and saying why) where this process cannot make network namespaces:
/// without root the proxies row still runs, so <c>dotnet test</c> needs no root.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NamespacesDataAttribute : DataAttribute
{
    public NamespacesDataAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Skip = "network namespaces need root on Linux; the proxies row covers this run without it";
        }
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [["namespaces"]];
}
