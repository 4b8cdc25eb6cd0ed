using System.Reflection;
using System.Runtime.InteropServices;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>The rkv-server this build produced, and the dotnet host to run it with (the one running the harness).</summary>
internal sealed record ServerBinary(string DotnetHost, string ServerDll)
{
    /// <summary>Throws <see cref="InvalidOperationException"/> saying what to build when the server is missing.</summary>
    public static ServerBinary Locate()
    {
        // RKV_CHAOS_SERVER_DLL runs another build of the server, e.g. a ReadyToRun publish, to compare them.
        if (Environment.GetEnvironmentVariable("RKV_CHAOS_SERVER_DLL") is { Length: > 0 } chosen)
        {
            return File.Exists(chosen)
                ? new ServerBinary(FindDotnetHost(), Path.GetFullPath(chosen))
                : throw new InvalidOperationException($"RKV_CHAOS_SERVER_DLL names '{chosen}', which does not exist");
        }

        // The csproj embeds the server project's output path for the same Configuration.
        var embedded = typeof(ServerBinary).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RkvServerDll")?.Value;
        if (embedded is null || !File.Exists(embedded))
        {
            throw new InvalidOperationException($"rkv-server.dll not found at '{embedded}'; build it with: dotnet build tests/ReplicatedKv.Chaos");
        }

        return new ServerBinary(FindDotnetHost(), embedded);
    }

    private static string FindDotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        // An apphost or the test host: the dotnet executable sits at the root above shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
