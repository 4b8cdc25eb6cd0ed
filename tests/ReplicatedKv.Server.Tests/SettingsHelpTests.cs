using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Server.Tests;

/// <summary><c>rkv-server --help</c>: every setting with its meaning and default, not only its names.</summary>
public sealed class SettingsHelpTests
{
    [Fact]
    public void Every_setting_in_the_help_has_a_meaning_and_a_default()
    {
        var lines = SettingsLoader.Usage.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var settings = Enumerable.Range(0, lines.Length).Where(i => lines[i].StartsWith("  --", StringComparison.Ordinal)).ToArray();
        settings.Should().HaveCountGreaterThan(40);
        foreach (var i in settings)
        {
            var setting = lines[i].Trim().Split(' ')[0];
            (i + 1 < lines.Length ? lines[i + 1] : "").Should().MatchRegex(@"^      \S.* \[(default: [^\]]+|required)\]$", "{0} says what it means and its default", setting);
        }

        SettingsLoader.Usage.Should().Contain("  --tick-interval").And.Contain("the consensus clock [default: 50ms]");
    }
}
