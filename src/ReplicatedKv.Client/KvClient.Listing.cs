using System.Runtime.CompilerServices;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Client;

public sealed partial class KvClient
{
    /// <summary>
    /// One page of keys in UTF-8 byte order. Pass the previous page's <see cref="KvListPage.ContinuationToken"/>
    /// (with the same <paramref name="options"/>) for the next: across all pages every key present throughout is
    /// returned exactly once, while keys written meanwhile may or may not appear. A read: retried like
    /// <see cref="GetAsync"/>. Bad options or a token this cluster did not issue throw <see cref="KvException"/>
    /// with INVALID_ARGUMENT.
    /// </summary>
    public async Task<KvListPage> ListAsync(KvListOptions options, string? continuationToken = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.PageSize, nameof(options));
        var request = new ListRequest
        {
            Prefix = options.Prefix,
            Start = options.Start,
            End = options.End,
            Limit = (uint)options.PageSize,
            KeysOnly = options.KeysOnly,
            Consistency = options.Consistency,
            ContinuationToken = continuationToken ?? string.Empty,
        };
        var response = await CallAsync((client, call) => client.ListAsync(request, call), write: false, timeout, cancellationToken).ConfigureAwait(false);
        var entries = new KvEntry[response.Entries.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var e = response.Entries[i];
            entries[i] = new KvEntry(e.Key, e.Value.Memory, e.Revision, e.CreateRevision, e.Version);
        }

        return new KvListPage(entries, response.ContinuationToken.Length > 0 ? response.ContinuationToken : null, response.Revision);
    }

    /// <summary>
    /// Every matching key, fetching pages as the enumeration reaches them. Pages may be at different revisions
    /// (see <see cref="ListAsync"/>); <paramref name="timeout"/> applies to each page.
    /// </summary>
    public async IAsyncEnumerable<KvEntry> ListAllAsync(KvListOptions options, TimeSpan? timeout = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? token = null;
        do
        {
            var page = await ListAsync(options, token, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
    }
}
