using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore;

// Snapshots: the host writes and reads the files; the core decides whether one is wanted and swaps the table.
public sealed partial class NodeCore
{
    /// <summary>True when a snapshot through <paramref name="slot"/> would move this node forward (see PaxosReplica.WantsSnapshot).</summary>
    public bool WantsSnapshot(long slot) => _outstanding is null && _replica.WantsSnapshot(slot);

    /// <summary>
    /// <see cref="WantsSnapshot(long)"/> for a snapshot <paramref name="from"/> sends: also false unless this node
    /// follows that member or asked it (see PaxosReplica.AcceptsDecidedValuesFrom).
    /// </summary>
    public bool WantsSnapshot(int from, long slot) => _outstanding is null && _replica.WantsSnapshot(from, slot);

    /// <summary>
    /// Continues from a received snapshot the host restored into <paramref name="restored"/> after
    /// <see cref="WantsSnapshot(long)"/> said yes. The host must make the snapshot's record durable before it processes
    /// the next Ready. Writes of this node inside the snapshot's slots were applied elsewhere: their outcome is now
    /// unknown here, and their callers time out (a client with a request id retries and gets the first result).
    /// <paramref name="membership"/> is the configuration the snapshot carried (<see cref="SnapshotMembership"/> where it was
    /// taken); null for a snapshot from before membership changes, which keeps the configurations this node knows.
    /// </summary>
    public void InstallSnapshot(long slot, KeyValueStateMachine restored, MembershipSnapshot? membership = null)
    {
        ArgumentNullException.ThrowIfNull(restored);
        if (restored.AppliedSlot != slot)
        {
            throw new ArgumentException($"snapshot claims slot {slot} but holds state through slot {restored.AppliedSlot}", nameof(restored));
        }

        _replica.InstallSnapshot(slot, membership);
        _stateMachine = restored;
        ServeAppliedReads();
    }

    /// <summary>
    /// The configurations a snapshot of the state machine as applied now must carry: take it together with
    /// <c>StateMachine.CreateSnapshotView()</c>, on the loop, and store it with the snapshot (<see cref="MembershipSnapshot.Encode"/>).
    /// On restart it comes back in <see cref="PersistentState.Membership"/>; a peer installing the snapshot passes it to
    /// <see cref="InstallSnapshot"/>.
    /// </summary>
    public MembershipSnapshot SnapshotMembership => _replica.MembershipAt(_stateMachine.AppliedSlot);

    /// <summary>
    /// A snapshot through <paramref name="slot"/> is durably saved: the log may forget slots up to
    /// <paramref name="keepEntries"/> before it, so peers slightly behind still catch up from the log.
    /// </summary>
    public void SnapshotSaved(long slot, long keepEntries)
    {
        var compactTo = Math.Min(slot - keepEntries, _replica.HandedOutIndex);
        if (compactTo > _replica.FirstSlot)
        {
            _replica.Compact(compactTo);
        }
    }
}
