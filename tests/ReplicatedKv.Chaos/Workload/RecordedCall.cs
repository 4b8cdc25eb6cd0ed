using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ReplicatedKv.Client;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Workload;

/// <summary>
/// Makes one call through a <see cref="KvClient"/> and turns what came back into an <see cref="Operation"/>. The
/// outcome is what the client can honestly claim: <see cref="OperationOutcome.Failed"/> only when the client says the
/// write certainly was not applied (<see cref="ClusterUnavailableException"/>), or for a read that got no answer;
/// any other error on a write is <see cref="OperationOutcome.Unknown"/>.
/// </summary>
internal static partial class RecordedCall
{
    public static async Task<Operation> GetAsync(KvClient client, HistoryRecorder history, int clientId, string key, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(history);
        var (id, invoked) = history.Invoke();
        var op = new Operation(id, clientId, key, OperationKind.Get, null, null, invoked, null, OperationOutcome.Failed);
        try
        {
            var value = await client.GetAsync(key, timeout: timeout).ConfigureAwait(false);
            return op with
            {
                CompleteNanos = history.Clock.Nanos,
                Outcome = OperationOutcome.Ok,
                Found = value is not null,
                ReadValue = value is { } v ? Encoding.UTF8.GetString(v.Value.Span) : null,
                Version = value?.Revision ?? 0,
            };
        }
        catch (Exception ex) when (ex is KvException or OperationCanceledException or TimeoutException)
        {
            // A read that got no answer changed nothing: the checker drops it.
            return op with { CompleteNanos = history.Clock.Nanos, Error = Describe(ex) };
        }
    }

    public static async Task<Operation> SetAsync(KvClient client, HistoryRecorder history, int clientId, string key, string value, ulong? ifVersion, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(history);
        var (id, invoked) = history.Invoke();
        var op = new Operation(id, clientId, key, OperationKind.Set, value, ifVersion, invoked, null, OperationOutcome.Unknown);
        try
        {
            var version = await client.SetAsync(key, Encoding.UTF8.GetBytes(value), ifVersion, timeout).ConfigureAwait(false);
            return op with { CompleteNanos = history.Clock.Nanos, Outcome = OperationOutcome.Ok, Version = version };
        }
        catch (Exception ex) when (ex is KvException or OperationCanceledException or TimeoutException)
        {
            return WriteFailed(op, ex, history);
        }
    }

    public static async Task<Operation> RemoveAsync(KvClient client, HistoryRecorder history, int clientId, string key, ulong? ifVersion, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(history);
        var (id, invoked) = history.Invoke();
        var op = new Operation(id, clientId, key, OperationKind.Remove, null, ifVersion, invoked, null, OperationOutcome.Unknown);
        try
        {
            var result = await client.RemoveAsync(key, ifVersion, timeout).ConfigureAwait(false);
            return op with
            {
                CompleteNanos = history.Clock.Nanos,
                Outcome = OperationOutcome.Ok,
                Found = result.Removed,
                Version = result.Removed ? result.Revision : 0,
            };
        }
        catch (Exception ex) when (ex is KvException or OperationCanceledException or TimeoutException)
        {
            return WriteFailed(op, ex, history);
        }
    }

    private static Operation WriteFailed(Operation op, Exception ex, HistoryRecorder history) => ex switch
    {
        VersionMismatchException mismatch => op with
        {
            CompleteNanos = history.Clock.Nanos,
            Outcome = OperationOutcome.VersionMismatch,
            Version = CurrentVersion(mismatch.Message),
        },
        ClusterUnavailableException => op with { CompleteNanos = history.Clock.Nanos, Outcome = OperationOutcome.Failed, Error = Describe(ex) },

        // May have been applied, or may be yet: no completion time, so the checker lets it take effect any time after its invoke.
        _ => op with { Outcome = OperationOutcome.Unknown, Error = Describe(ex) },
    };

    /// <summary>The server says "key 'k' is at version N" or "key 'k' does not exist" (version 0).</summary>
    private static ulong CurrentVersion(string message) =>
        AtVersion().Match(message) is { Success: true } match ? ulong.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    [GeneratedRegex(@"is at version (\d+)")]
    private static partial Regex AtVersion();
}
