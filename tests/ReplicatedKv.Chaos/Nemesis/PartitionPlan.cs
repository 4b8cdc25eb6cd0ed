using ReplicatedKv.Chaos.Cluster;

namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>
/// The links a partition cuts, described for schedule.txt. <see cref="LeadIn"/>, when set, is cut first, for the
/// first half of the fault (the constrained election's follower falling behind), and then replaced by <see cref="Cuts"/>.
/// </summary>
internal sealed record PartitionPlan(IReadOnlyCollection<LinkCut> Cuts, string Description, IReadOnlyCollection<LinkCut>? LeadIn = null)
{
    public void Deconstruct(out IReadOnlyCollection<LinkCut> cuts, out string description)
    {
        cuts = Cuts;
        description = Description;
    }
}
