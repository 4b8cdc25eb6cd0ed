namespace ReplicatedKv.StateMachine;

/// <summary>One page of a listing: consistent, because it was read at one applied slot with nothing applied meanwhile.</summary>
/// <param name="Entries">The keys in UTF-8 byte order, with values unless the query was keys-only.</param>
/// <param name="HasMore">True when keys matching the query follow the last entry; continue after it.</param>
/// <param name="Revision">The revision the page reflects (the state machine's revision when it was read).</param>
/// <param name="AppliedSlot">The slot the page was read at.</param>
public sealed record ListPage(IReadOnlyList<KeyValueEntry> Entries, bool HasMore, ulong Revision, long AppliedSlot);
