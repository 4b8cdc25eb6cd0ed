using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// One scrape of a node's /metrics, parsed as the Prometheus text exposition format: every line is blank, a comment,
/// or <c>name{label="value",...} value [timestamp]</c>. Parsing fails the test on the first line that is none of those.
/// </summary>
internal sealed partial class PrometheusScrape
{
    private readonly Dictionary<string, double> _samples;

    private PrometheusScrape(string text, Dictionary<string, double> samples)
    {
        Text = text;
        _samples = samples;
    }

    public string Text { get; }

    public static async Task<PrometheusScrape> FetchAsync(Uri adminUrl)
    {
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(adminUrl, "/metrics"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.Should().Be("text/plain", "Prometheus' text format");
        return Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Scrapes until <paramref name="done"/> holds or 30 s pass, and returns the last scrape either way.</summary>
    public static async Task<PrometheusScrape> FetchUntilAsync(Uri adminUrl, Func<PrometheusScrape, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var scrape = await FetchAsync(adminUrl);
            if (done(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(50);
        }
    }

    public static PrometheusScrape Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    TypeLine().IsMatch(line).Should().BeTrue("'{0}' is a TYPE line naming a Prometheus metric type", line);
                }

                continue;
            }

            var sample = SampleLine().Match(line);
            sample.Success.Should().BeTrue("'{0}' is a sample line: name{{labels}} value [timestamp]", line);
            var key = Key(sample.Groups["name"].Value, sample.Groups["labels"].Captures.Select(c => c.Value));
            samples[key] = ParseValue(sample.Groups["value"].Value);
        }

        return new PrometheusScrape(text, samples);
    }

    /// <summary>
    /// The value of the sample with this name and these labels (given as <c>key="value"</c>; the exporter's
    /// otel_scope_* labels need not be named); 0 when there is none, as for a counter nobody has counted yet.
    /// </summary>
    public double Value(string name, params string[] labels)
    {
        var matches = Matching(name, labels).ToArray();
        matches.Length.Should().BeLessThanOrEqualTo(1, "{0}{{{1}}} names one series", name, string.Join(',', labels));
        return matches.Length == 0 ? 0 : matches[0];
    }

    public bool Has(string name, params string[] labels) => Matching(name, labels).Any();

    private IEnumerable<double> Matching(string name, string[] labels)
    {
        var wanted = Key(name, labels);
        return _samples.Where(s => WithoutScopeLabels(s.Key) == wanted).Select(s => s.Value);
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string Key(string name, IEnumerable<string> labels) =>
        name + "{" + string.Join(',', labels.Order(StringComparer.Ordinal)) + "}";

    private static string WithoutScopeLabels(string key)
    {
        var open = key.IndexOf('{', StringComparison.Ordinal);
        var labels = key[(open + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("otel_scope_", StringComparison.Ordinal));
        return Key(key[..open], labels);
    }

    [GeneratedRegex(@"^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    // Label values here contain no escaped quotes or commas; the pattern would refuse them rather than misread them.
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?<labels>[a-zA-Z_][a-zA-Z0-9_]*=""[^""\\,]*""),?)*\})? (?<value>[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|Inf|NaN))( -?\d+)?$")]
    private static partial Regex SampleLine();
}
