using System.Reflection;
using System.Runtime.InteropServices;

namespace ReplicatedKv.LocalCluster;

/// <summary>What to run for each node: the dotnet host and the rkv-server.dll this build produced.</summary>
internal sealed record ServerLocation(string DotnetHost, string ServerDll)
{
    /// <summary>Null when the server was not built (the message says what to do).</summary>
    public static ServerLocation? Find(out string problem)
    {
        // The build embeds where the server project put its dll for the same Configuration (see the .csproj).
        var embedded = typeof(ServerLocation).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RkvServerDll")?.Value;
        string[] candidates = [embedded ?? "", Path.Combine(AppContext.BaseDirectory, "rkv-server.dll")];
        var dll = candidates.FirstOrDefault(File.Exists);
        if (dll is null)
        {
            problem = $"rkv-server.dll not found (looked at {string.Join(", ", candidates.Where(c => c.Length > 0))}); build with: dotnet build src/ReplicatedKv.LocalCluster";
            return null;
        }

        problem = "";
        return new ServerLocation(FindDotnetHost(), dll);
    }

    /// <summary>The dotnet executable running this launcher, so the nodes run on the same runtime.</summary>
    private static string FindDotnetHost()
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

        // Started as `dotnet rkv-local.dll`: that is the host.
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == exe)
        {
            return self;
        }

        // Started through the rkv-local apphost (as `dotnet run` does): the host sits three folders above the
        // runtime, in <root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, exe);
        return File.Exists(host) ? host : exe;
    }
}
