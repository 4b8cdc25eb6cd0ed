using System.Reflection;

namespace ReplicatedKv;

/// <summary>
/// This build's version as MinVer stamped it from git tags (<c>0.1.0</c>, or <c>0.1.0-alpha.0.12</c> between tags), with the
/// commit the SDK appends, shortened to 7 hex digits so it fits a table row. Linked as source into each assembly that
/// reports it (server, transport, rkvctl) rather than made a public type of a shipped package.
/// </summary>
internal static class BuildVersion
{
    public static string Current { get; } = Shorten(
        typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");

    private static string Shorten(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 && version.Length - plus - 1 > 7 ? version[..(plus + 8)] : version;
    }
}
