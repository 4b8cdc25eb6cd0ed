using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>
/// Size checks on received consensus messages, made before they reach the node: an entry the log cannot hold
/// would fail the write-ahead log's append and stop the node, so a message carrying one is dropped instead.
/// </summary>
public static class PeerMessageLimits
{
    /// <summary>
    /// A log record's payload for one entry: slot, ballot and count (24 bytes) plus a 4-byte length per command
    /// and the commands themselves (ReplicatedKv.Storage.WalFormat.EntryFrameSize).
    /// </summary>
    public static long EntryPayloadBytes(Wire.Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var bytes = 24L + (4L * entry.Commands.Count);
        foreach (var command in entry.Commands)
        {
            bytes += command.Length;
        }

        return bytes;
    }

    /// <summary>Removes from <paramref name="batch"/> every message with an entry over <paramref name="maxEntryPayloadBytes"/>; returns how many.</summary>
    public static int DropOverLimit(Wire.PeerBatch batch, long maxEntryPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var dropped = 0;
        for (var i = batch.Messages.Count - 1; i >= 0; i--)
        {
            if (EntriesOf(batch.Messages[i]).Any(e => EntryPayloadBytes(e) > maxEntryPayloadBytes))
            {
                batch.Messages.RemoveAt(i);
                dropped++;
            }
        }

        return dropped;
    }

    private static readonly Google.Protobuf.Collections.RepeatedField<Wire.Entry> NoEntries = [];

    // The messages that carry log entries to be stored: accepts, catch-up replies, and promises (their values are re-proposed).
    private static Google.Protobuf.Collections.RepeatedField<Wire.Entry> EntriesOf(Wire.PeerMessage message) => message.BodyCase switch
    {
        Wire.PeerMessage.BodyOneofCase.Accept => message.Accept.Entries,
        Wire.PeerMessage.BodyOneofCase.CatchUp => message.CatchUp.Entries,
        Wire.PeerMessage.BodyOneofCase.Promise => message.Promise.Entries,
        _ => NoEntries,
    };
}
