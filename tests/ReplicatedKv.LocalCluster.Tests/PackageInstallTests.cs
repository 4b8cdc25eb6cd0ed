using System.Globalization;
using System.Text.RegularExpressions;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.LocalCluster.Tests;

/// <summary>
/// Issue 22's promise, the way a user of another solution meets it: .ci/pack fills artifacts/packages; a fresh console
/// app takes ReplicatedKv.Client from that folder as a NuGet feed and runs README's C# example against a local cluster,
/// and rkvctl, installed from the same feed as a local .NET tool, reports that cluster's status.
/// </summary>
public sealed partial class PackageInstallTests : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);
    private readonly string _work = Directory.CreateTempSubdirectory("rkv-package-test-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void READMEs_CSharp_example_is_the_one_in_the_client_packages_README()
    {
        var repo = RepositoryRoot();
        CSharpBlock(Path.Combine(repo, "src/ReplicatedKv.Client/README.md")).Should().Be(ReadmeExample(repo));
    }

    [Fact]
    public async Task The_packed_client_and_rkvctl_tool_install_from_the_local_feed_and_work_against_a_local_cluster()
    {
        var repo = RepositoryRoot();
        var basePort = FreePorts.BaseFor(nodes: 3);
        using var launcher = LauncherProcess.Start("--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--data-dir", Path.Combine(_work, "data"));
        try
        {
            var pack = await CommandRun.RunAsync(repo, StepTimeout, null, "bash", ".ci/pack");
            pack.ExitCode.Should().Be(0, pack.Output);
            var version = File.ReadAllText(Path.Combine(repo, "artifacts/version.txt")).Trim();
            ForgetCachedPackages(version);
            WriteNuGetConfig(Path.Combine(repo, "artifacts/packages"));

            var ready = await launcher.WaitForLineAsync(line => line.StartsWith("rkv-local: Ctrl-C stops all nodes", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
            ready.Should().BeTrue("the local cluster is ready; it said:\n" + launcher.Transcript);
            var endpoints = string.Join(',', Enumerable.Range(0, 3).Select(i => $"http://127.0.0.1:{basePort + i}"));

            await TheReadmeExampleRuns(repo, version, endpoints);
            await RkvctlRunsAsALocalTool(version, endpoints);
        }
        finally
        {
            launcher.Interrupt();
            await launcher.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private async Task TheReadmeExampleRuns(string repo, string version, string endpoints)
    {
        var app = Path.Combine(_work, "app");
        await Dotnet(_work, "new", "console", "--output", app, "--framework", "net10.0", "--no-restore");
        // README's first line of the section, with the version this build packed (a pre-release needs it named).
        await Dotnet(app, "add", "package", "ReplicatedKv.Client", "--version", version);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ReadmeExample(repo));
        await Dotnet(app, "build");

        var run = await CommandRun.RunAsync(app, StepTimeout, new Dictionary<string, string> { ["RKV_ENDPOINTS"] = endpoints }, "dotnet", "run", "--no-build");
        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().MatchRegex(@"greeting = hello \(version \d+, set as \d+\)").And.Contain("removed: True, exists now: False");
    }

    private async Task RkvctlRunsAsALocalTool(string version, string endpoints)
    {
        await Dotnet(_work, "new", "tool-manifest");
        await Dotnet(_work, "tool", "install", "ReplicatedKv.Cli", "--version", version);
        var status = await Dotnet(_work, "tool", "run", "rkvctl", "--", "--endpoints", endpoints, "status");
        status.Should().Contain("VERSION").And.Contain(" leader ");
        // rkvctl and the cluster were built from the same commit: every row shows that version.
        Regex.Matches(status, Regex.Escape(version)).Should().HaveCount(3, status);
    }

    private static async Task<string> Dotnet(string directory, params string[] args)
    {
        var run = await CommandRun.RunAsync(directory, StepTimeout, null, "dotnet", args);
        run.ExitCode.Should().Be(0, "dotnet {0} succeeds; it said:\n{1}", string.Join(' ', args), run.Output);
        return run.Output;
    }

    /// <summary>The machine's own sources stay (nuget.org here, for the dependencies); the pack output is added as a feed.</summary>
    private void WriteNuGetConfig(string feed) => File.WriteAllText(Path.Combine(_work, "NuGet.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="replicatedkv-artifacts" value="{feed}" />
          </packageSources>
        </configuration>
        """);

    /// <summary>
    /// Re-packing the same commit gives the same version with new contents; a copy NuGet cached from an earlier run
    /// would be used instead of it. Only this version of our own three packages is removed.
    /// </summary>
    private static void ForgetCachedPackages(string version)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "replicatedkv.client", "replicatedkv.protos", "replicatedkv.cli" })
        {
            var folder = Path.Combine(cache, id, version.ToLowerInvariant());
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>The code README's "Use it from C#" section shows: its first csharp block.</summary>
    private static string ReadmeExample(string repo)
    {
        var readme = File.ReadAllText(Path.Combine(repo, "README.md"));
        var section = readme.IndexOf("\n## Use it from C#", StringComparison.Ordinal);
        section.Should().BePositive("README.md has a 'Use it from C#' section");
        readme[section..].Should().Contain("dotnet add package ReplicatedKv.Client");
        return CSharpBlock(readme[section..]);
    }

    private static string CSharpBlock(string markdownOrPath)
    {
        var text = File.Exists(markdownOrPath) ? File.ReadAllText(markdownOrPath) : markdownOrPath;
        var match = CSharpFence().Match(text);
        match.Success.Should().BeTrue("there is a ```csharp block");
        return match.Groups["code"].Value;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ReplicatedKv.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("no ReplicatedKv.sln above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpFence();
}
