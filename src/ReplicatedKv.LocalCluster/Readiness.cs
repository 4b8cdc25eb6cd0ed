using System.Diagnostics;
using System.Globalization;

namespace ReplicatedKv.LocalCluster;

/// <summary>Polls every node's admin <c>/readyz</c> (200 once the node sees a leader with a live quorum).</summary>
internal static class Readiness
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// True once every node answered 200; false at the deadline, with NotReady naming each node that
    /// was not ready and its last answer. Throws <see cref="OperationCanceledException"/> when the launcher stops.
    /// </summary>
    public static async Task<(bool Ready, string NotReady)> WaitAsync(IReadOnlyList<NodeProcess> nodes, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var last = nodes.ToDictionary(n => n.Layout.Id, _ => "no answer yet");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answers = await Task.WhenAll(nodes.Select(n => AskAsync(http, n, cancellationToken))).ConfigureAwait(false);
            for (var i = 0; i < nodes.Count; i++)
            {
                last[nodes[i].Layout.Id] = answers[i];
            }

            if (answers.All(a => a == "ready"))
            {
                return (true, "");
            }

            if (clock.Elapsed >= deadline)
            {
                return (false, string.Join("; ", last.Where(kv => kv.Value != "ready").Select(kv => $"{kv.Key}: {kv.Value}")));
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<string> AskAsync(HttpClient http, NodeProcess node, CancellationToken cancellationToken)
    {
        if (node.HasExited)
        {
            return string.Create(CultureInfo.InvariantCulture, $"exited with code {node.Exited.Result}");
        }

        try
        {
            using var response = await http.GetAsync(new Uri(node.Layout.AdminUrl + "/readyz"), cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return "ready";
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return $"{(int)response.StatusCode} {body.Trim()}";
        }
        catch (HttpRequestException ex)
        {
            return ex.HttpRequestError == HttpRequestError.ConnectionError ? "not listening yet" : ex.Message;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "no answer within 2 s";
        }
    }
}
